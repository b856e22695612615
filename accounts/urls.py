from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views_admins, views_api_tokens, views_email, views_password
from accounts.forms import SignInForm
from accounts.tokens import invitation_token_generator, recovery_token_generator

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The set-password link create_tenant prints (PASSWORD_RESET_TIMEOUT).
    path(
        "reset/<uidb64>/<token>/",
        views_password.SetPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/set_password_done.html"
        ),
        name="password_reset_complete",
    ),
    path("password-reset/", views_password.password_reset, name="password_reset"),
    path("password-reset/sent/", views_password.password_reset_sent, name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views_password.SetPasswordView.as_view(
            flow="recovery", token_generator=recovery_token_generator
        ),
        name="recovery_confirm",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        views_password.SetPasswordView.as_view(
            flow="invitation", token_generator=invitation_token_generator
        ),
        name="invitation_accept",
    ),
    path("admins/", views_admins.admins, name="admins"),
    path(
        "admins/<int:user_id>/resend/",
        views_admins.admin_invitation_resend,
        name="admin_invitation_resend",
    ),
    path("admins/<int:user_id>/remove/", views_admins.admin_remove, name="admin_remove"),
    path("api-tokens/", views_api_tokens.api_tokens, name="api_tokens"),
    path(
        "api-tokens/<int:token_id>/revoke/",
        views_api_tokens.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("email/", views_email.email_change, name="email_change"),
    path(
        "email/confirm/<str:token>/",
        views_email.email_change_confirm_page,
        name="email_change_confirm",
    ),
]
