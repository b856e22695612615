"""URLs served on a tenant's own domain."""

from django.urls import include, path

from accounts.views import dashboard
from mailer.views import activity

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/", include("accounts.urls")),
    path("integrations/email-smtp/activity/", activity, name="email_smtp_activity"),
    path("integrations/", include("smtp_integration.urls")),
]
