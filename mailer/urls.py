"""The Email SMTP area's Activity tab, included by smtp_integration.urls under its
"integrations" namespace."""

from django.urls import path

from mailer import views

urlpatterns = [
    path("activity/", views.activity, name="email_smtp_activity"),
]
