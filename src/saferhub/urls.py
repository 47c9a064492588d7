from django.contrib import admin
from django.urls import include, path

# The hub's own pages come last: its catch-all area pages must not shadow the others.
urlpatterns = [
    path("", include("saferhub.partnerships.urls")),
    path("", include("saferhub.sharing.urls")),
    path("", include("saferhub.incidents.urls")),
    path("", include("saferhub.people.urls")),
    path("", include("saferhub.places.urls")),
    path("", include("saferhub.api.urls")),
    path("accounts/", include("saferhub.accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("saferhub.audit.urls")),
    path("", include("saferhub.imports.urls")),
    path("", include("saferhub.linkage.urls")),
    path("", include("saferhub.evaluation.urls")),
    path("", include("saferhub.analysis.urls")),
    path("", include("saferhub.referrals.urls")),
    path("", include("saferhub.cases.urls")),
    path("", include("saferhub.actions.urls")),
    path("", include("saferhub.briefings.urls")),
    path("", include("saferhub.meetings.urls")),
    path("", include("saferhub.hub.urls")),
]
