from django.urls import path

from saferhub.briefings import views

app_name = "briefings"

BRIEFING = "partnerships/<slug:partnership_code>/briefing/"

urlpatterns = [
    path(BRIEFING, views.briefing_today, name="today"),
    path(f"{BRIEFING}make/", views.briefing_make_now, name="make"),
    path(f"{BRIEFING}<str:day>/", views.briefing_detail, name="detail"),
    path(f"{BRIEFING}<str:day>/briefing.pdf", views.briefing_pdf, name="pdf"),
    path(f"{BRIEFING}<str:day>/notes/", views.briefing_notes, name="notes"),
    path(f"{BRIEFING}<str:day>/tasks/new/", views.briefing_task_new, name="task_new"),
    path(f"{BRIEFING}<str:day>/publish/", views.briefing_publish_now, name="publish"),
]
