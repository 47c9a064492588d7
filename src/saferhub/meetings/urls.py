from django.urls import path

from saferhub.meetings import views

app_name = "meetings"

P = "partnerships/<slug:partnership_code>/meetings/"
M = P + "<int:meeting_id>/"

urlpatterns = [
    path(P, views.meeting_list, name="list"),
    path(P + "new/", views.meeting_new, name="new"),
    path(M, views.meeting_detail, name="detail"),
    path(M + "propose/", views.meeting_propose, name="propose"),
    path(M + "items/new/", views.item_new, name="item_new"),
    path(M + "items/<int:item_id>/change/", views.item_change, name="item_change"),
    path(M + "items/<int:item_id>/discussion/", views.item_discussion, name="item_discussion"),
    path(M + "items/<int:item_id>/action/", views.item_action, name="item_action"),
    path(M + "attendance/", views.meeting_attendance, name="attendance"),
    path(M + "minutes/", views.meeting_minutes, name="minutes"),
    path(M + "status/", views.meeting_status, name="status"),
    path(M + "pack/", views.meeting_pack, name="pack"),
    path(M + "pack.pdf", views.meeting_pack_pdf, name="pack_pdf"),
]
