from django.urls import path

from saferhub.places import views

app_name = "places"

urlpatterns = [
    path("partnerships/<slug:partnership_code>/places/", views.place_search_page, name="search"),
    path(
        "partnerships/<slug:partnership_code>/places/choices/",
        views.place_choices_fragment,
        name="choices",
    ),
    path(
        "partnerships/<slug:partnership_code>/places/<int:record_id>/",
        views.place_detail,
        name="detail",
    ),
]
