from django.urls import path

from saferhub.hub import views

app_name = "hub"

urlpatterns = [
    path("", views.start, name="start"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("health/", views.health, name="health"),
]
