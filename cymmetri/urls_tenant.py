"""URLs served on a tenant's own domain."""

from django.urls import include, path

from accounts.views import dashboard
from mailer.views import activity, preview_html, previews

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/", include("accounts.urls")),
    path("integrations/email-smtp/activity/", activity, name="email_smtp_activity"),
    path("integrations/email-smtp/previews/", previews, name="email_smtp_previews"),
    path("integrations/email-smtp/previews/<slug:kind>/", previews, name="email_smtp_preview"),
    path(
        "integrations/email-smtp/previews/<slug:kind>/html/",
        preview_html,
        name="email_smtp_preview_html",
    ),
    path("integrations/", include("smtp_integration.urls")),
]
