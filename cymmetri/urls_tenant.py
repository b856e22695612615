"""URLs served on a tenant's own domain."""

from django.urls import include, path

from accounts.views import dashboard

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/", include("accounts.urls")),
    path("integrations/", include("smtp_integration.urls")),
    path("api/", include("api.urls")),
]
