from django.urls import path

from saferhub.sharing import views

app_name = "sharing"

urlpatterns = [
    path(
        "partnerships/<slug:partnership_code>/protocols/",
        views.protocols,
        name="protocols",
    ),
    path(
        "partnerships/<slug:partnership_code>/protocols/<slug:protocol_code>/v<int:version>/",
        views.protocol,
        name="protocol",
    ),
]
