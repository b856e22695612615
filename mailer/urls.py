"""The Email SMTP area's Activity and Previews tabs, included by smtp_integration.urls under
its "integrations" namespace."""

from django.urls import path

from mailer import views

urlpatterns = [
    path("activity/", views.activity, name="email_smtp_activity"),
    path("previews/", views.previews, name="email_smtp_previews"),
    path("previews/<slug:kind>/", views.previews, name="email_smtp_preview"),
    path("previews/<slug:kind>/html/", views.preview_html, name="email_smtp_preview_html"),
]
