"""The Email templates tab, included by smtp_integration.urls under "integrations"."""

from django.urls import path

from email_templates import views

_one = "templates/<slug:kind>/<slug:locale>/"

urlpatterns = [
    path("templates/", views.templates_index, name="email_templates"),
    path(_one, views.template_edit, name="email_template"),
    path(f"{_one}html/", views.template_preview_html, name="email_template_html"),
    path(f"{_one}send/", views.template_send_to_me, name="email_template_send"),
    path(f"{_one}reset/", views.template_reset, name="email_template_reset"),
    path(f"{_one}revert/<int:number>/", views.template_revert, name="email_template_revert"),
    # The former Email previews tab.
    path("previews/", views.previews_moved, name="email_smtp_previews"),
    path("previews/<slug:kind>/", views.previews_moved, name="email_smtp_preview"),
    path("previews/<slug:kind>/html/", views.preview_html_moved, name="email_smtp_preview_html"),
]
