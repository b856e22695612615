"""URLs served on the platform's public domain: the operators' admin site."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Cymmetri operations"
admin.site.site_title = "Cymmetri operations"
admin.site.index_title = "Platform administration"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
