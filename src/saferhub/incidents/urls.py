from django.urls import path

from saferhub.incidents import views

app_name = "incidents"

urlpatterns = [
    path("partnerships/<slug:partnership_code>/incidents/", views.incident_list, name="list"),
    path("partnerships/<slug:partnership_code>/incidents/new/", views.incident_new, name="new"),
    path(
        "partnerships/<slug:partnership_code>/incidents/export.csv",
        views.incident_export,
        name="export",
    ),
    path(
        "partnerships/<slug:partnership_code>/incidents/<int:incident_id>/",
        views.incident_detail,
        name="detail",
    ),
    path(
        "partnerships/<slug:partnership_code>/incidents/<int:incident_id>/emergency/",
        views.emergency_disclosure,
        name="emergency",
    ),
]
