from django.urls import path

from saferhub.actions import views

app_name = "actions"

urlpatterns = [
    path("partnerships/<slug:partnership_code>/actions/", views.my_action_list, name="mine"),
    path(
        "partnerships/<slug:partnership_code>/actions/organisation/",
        views.organisation_action_list,
        name="organisation",
    ),
    path(
        "partnerships/<slug:partnership_code>/actions/<int:action_id>/",
        views.action_detail,
        name="detail",
    ),
]
