from django.urls import path

from smtp_integration import views

app_name = "integrations"

urlpatterns = [
    path("", views.integrations_index, name="index"),
]
