from django.urls import path

from saferhub.linkage import views
from saferhub.linkage.models import EntityKind

app_name = "linkage"

PREFIX = "partnerships/<slug:partnership_code>/"

urlpatterns = [
    path(
        PREFIX + "linkage/thresholds/",
        views.thresholds,
        name="thresholds",
    ),
    path(PREFIX + "linkage/link-now/", views.link_now, name="link_now"),
    path(PREFIX + "linkage/runs/", views.runs, name="runs"),
    path(PREFIX + "linkage/runs/<int:run_id>/", views.run, name="run"),
    path(
        PREFIX + "linkage/runs/<int:run_id>/progress/",
        views.run_progress_fragment,
        name="run_progress",
    ),
]

for path_name, kind in (("people", EntityKind.PERSON), ("places", EntityKind.PLACE)):
    urlpatterns += [
        path(
            PREFIX + f"{path_name}/entities/<int:entity_id>/",
            views.entity_detail,
            {"kind": kind},
            name=f"{path_name}_entity",
        ),
        path(
            PREFIX + f"{path_name}/entities/<int:entity_id>/merge/",
            views.entity_merge,
            {"kind": kind},
            name=f"{path_name}_merge",
        ),
        path(
            PREFIX + f"{path_name}/entities/<int:entity_id>/unmerge/",
            views.entity_unmerge_action,
            {"kind": kind},
            name=f"{path_name}_unmerge",
        ),
        path(
            PREFIX + f"{path_name}/entities/<int:entity_id>/records/<int:link_id>/take-out/",
            views.record_take_out,
            {"kind": kind},
            name=f"{path_name}_take_out",
        ),
        path(
            PREFIX + f"linkage/review/{path_name}/",
            views.review_queue,
            {"kind": kind},
            name=f"review_{path_name}",
        ),
    ]
