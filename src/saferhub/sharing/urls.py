from django.urls import path

from saferhub.sharing import views

app_name = "sharing"

PROTOCOL = "partnerships/<slug:partnership_code>/protocols/<slug:protocol_code>/v<int:version>/"

urlpatterns = [
    path(
        "partnerships/<slug:partnership_code>/protocols/",
        views.protocols,
        name="protocols",
    ),
    path(
        "partnerships/<slug:partnership_code>/protocols/new/",
        views.protocol_create,
        name="protocol-create",
    ),
    path(
        "partnerships/<slug:partnership_code>/protocols/what-can-they-see/",
        views.what_can_they_see,
        name="what-can-they-see",
    ),
    path(
        "partnerships/<slug:partnership_code>/emergency-disclosures/",
        views.emergency_disclosures,
        name="emergency-disclosures",
    ),
    path(
        "partnerships/<slug:partnership_code>/emergency-disclosures/<int:disclosure_id>/review/",
        views.emergency_disclosure_review,
        name="emergency-disclosure-review",
    ),
    path(PROTOCOL, views.protocol, name="protocol"),
    path(PROTOCOL + "edit/", views.protocol_edit, name="protocol-edit"),
    path(PROTOCOL + "sign/", views.protocol_sign, name="protocol-sign"),
    path(PROTOCOL + "activate/", views.protocol_activate, name="protocol-activate"),
    path(PROTOCOL + "suspend/", views.protocol_suspend, name="protocol-suspend"),
    path(PROTOCOL + "reinstate/", views.protocol_reinstate, name="protocol-reinstate"),
    path(PROTOCOL + "new-version/", views.protocol_new_version, name="protocol-new-version"),
]
