from django.urls import path

from saferhub.partnerships import views

app_name = "partnerships"

urlpatterns = [
    path("partnerships/switch/", views.switch, name="switch"),
    path("partnerships/<slug:partnership_code>/", views.home, name="home"),
]
