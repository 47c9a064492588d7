from django.urls import path

from saferhub.audit import views

app_name = "audit"

urlpatterns = [
    path("partnerships/<slug:partnership_code>/audit/", views.search, name="search"),
    path(
        "partnerships/<slug:partnership_code>/audit/subject-access/",
        views.subject_access,
        name="subject_access",
    ),
    path(
        "partnerships/<slug:partnership_code>/audit/subject-access/disclosures.<slug:file_format>",
        views.subject_access_download,
        name="subject_access_download",
    ),
]
