from django.urls import include, path

from smtp_integration import views

app_name = "integrations"

urlpatterns = [
    path("", views.integrations_index, name="index"),
    path("email-smtp/", views.email_smtp, name="email_smtp"),
    path("email-smtp/test/", views.email_smtp_test, name="email_smtp_test"),
    path(
        "email-smtp/test/<int:test_id>/",
        views.email_smtp_test_result,
        name="email_smtp_test_result",
    ),
    path("email-smtp/toggle/", views.email_smtp_toggle, name="email_smtp_toggle"),
    path("email-smtp/delete/", views.email_smtp_delete, name="email_smtp_delete"),
    path("email-smtp/deliverability/", include("deliverability.urls")),
    path("email-smtp/", include("mailer.urls")),
    path("email-smtp/", include("email_templates.urls")),
]
