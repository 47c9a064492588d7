from django.urls import path

from saferhub.cases import views

app_name = "cases"

CASE = "partnerships/<slug:partnership_code>/cases/<int:case_id>/"

urlpatterns = [
    path("partnerships/<slug:partnership_code>/cases/", views.case_list, name="list"),
    path("partnerships/<slug:partnership_code>/cases/new/", views.case_new, name="new"),
    path(CASE, views.case_detail, name="detail"),
    path(CASE + "incidents/link/", views.case_link, name="link"),
    path(CASE + "incidents/unlink/", views.case_unlink, name="unlink"),
    path(CASE + "risk/", views.case_risk, name="risk"),
    path(CASE + "stage/", views.case_stage, name="stage"),
    path(CASE + "actions/", views.case_action, name="action"),
    path(CASE + "reviews/", views.case_review_add, name="review"),
    path(CASE + "close/", views.case_close_view, name="close"),
    path(CASE + "reopen/", views.case_reopen_view, name="reopen"),
]
