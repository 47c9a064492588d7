from django.urls import path

from saferhub.people import views

app_name = "people"

urlpatterns = [
    path("partnerships/<slug:partnership_code>/people/", views.person_search_page, name="search"),
    path(
        "partnerships/<slug:partnership_code>/people/choices/",
        views.person_choices_fragment,
        name="choices",
    ),
    path(
        "partnerships/<slug:partnership_code>/people/<int:record_id>/",
        views.person_detail,
        name="detail",
    ),
]
