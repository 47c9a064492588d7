from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path

from saferhub.api.api import api


def unknown_endpoint(request: HttpRequest, rest: str) -> JsonResponse:
    return JsonResponse({"message": f"No API endpoint at /api/{rest}."}, status=404)


urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_endpoint),
]
