from django.urls import path

from saferhub.evaluation import views

app_name = "evaluation"

PREFIX = "partnerships/<slug:partnership_code>/initiatives/"
ONE = PREFIX + "<int:initiative_id>/"

urlpatterns = [
    path(PREFIX, views.register, name="register"),
    path(PREFIX + "new/", views.initiative_new, name="initiative_new"),
    path(PREFIX + "library/", views.library, name="library"),
    path(ONE, views.initiative_detail, name="initiative"),
    path(ONE + "edit/", views.initiative_edit, name="initiative_edit"),
    path(ONE + "partners/new/", views.partner_add, name="partner_new"),
    path(ONE + "indicators/new/", views.indicator_new, name="indicator_new"),
    path(ONE + "indicators/<int:indicator_id>/", views.indicator_detail, name="indicator"),
    path(ONE + "evaluate/", views.evaluate_start, name="evaluate_start"),
    path(ONE + "evaluate/<int:indicator_id>/", views.evaluate_design, name="evaluate_design"),
    path(ONE + "evaluations/<int:evaluation_id>/", views.evaluation_detail, name="evaluation"),
    path(ONE + "evaluations/<int:evaluation_id>.pdf", views.evaluation_pdf, name="evaluation_pdf"),
    path(ONE + "publish/", views.publish, name="publish"),
]
