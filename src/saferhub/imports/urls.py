from django.urls import path

from saferhub.imports import views

app_name = "imports"

PREFIX = "partnerships/<slug:partnership_code>/imports/"

urlpatterns = [
    path(PREFIX, views.runs, name="runs"),
    path(f"{PREFIX}<int:run_id>/", views.run, name="run"),
    path(f"{PREFIX}<int:run_id>/progress/", views.progress, name="progress"),
    path(f"{PREFIX}<int:run_id>/rejections.csv", views.report, name="report"),
    path(f"{PREFIX}<int:run_id>/again/", views.again, name="again"),
    path(f"{PREFIX}profiles/", views.profiles, name="profiles"),
    path(f"{PREFIX}profiles.yaml", views.profiles_download, name="profiles_download"),
]
