# Included under the "integrations" namespace by smtp_integration/urls.py, next to the
# Email SMTP tab these pages belong to: no app_name of its own.
from django.urls import path

from deliverability import views

urlpatterns = [
    path("", views.email_smtp_deliverability, name="email_smtp_deliverability"),
    path(
        "selectors/",
        views.email_smtp_deliverability_selectors,
        name="email_smtp_deliverability_selectors",
    ),
]
