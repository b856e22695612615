"""/api/v1/ on a tenant's domain."""

from django.urls import path

from api.views import api

urlpatterns = [path("v1/", api.urls)]
