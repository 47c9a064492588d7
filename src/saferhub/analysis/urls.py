from django.urls import path

from saferhub.analysis import views

app_name = "analysis"

PREFIX = "partnerships/<slug:partnership_code>/analysis/"

urlpatterns = [
    path(PREFIX, views.index, name="index"),
    path(PREFIX + "trends/", views.trends_page, name="trends"),
    path(PREFIX + "repeats/", views.repeats_page, name="repeats"),
    path(PREFIX + "near-repeats/", views.near_repeats_page, name="near_repeats"),
    path(PREFIX + "hotspots/", views.hotspots_page, name="hotspots"),
    path(PREFIX + "deprivation/", views.deprivation_page, name="deprivation"),
    path(PREFIX + "assessment/", views.assessment_page, name="assessment"),
    path(PREFIX + "assessment.pdf", views.assessment_pdf, name="assessment_pdf"),
]
