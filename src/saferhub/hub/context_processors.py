"""What every page's frame shows: the partnership, the switcher and the side navigation."""

from django.http import HttpRequest
from django.urls import reverse

from saferhub.hub.areas import AREAS
from saferhub.partnerships.selectors import partnerships_of_user


def hub(request: HttpRequest) -> dict:
    partnership = getattr(request, "partnership", None)
    if partnership is None or not request.user.is_authenticated:
        return {"hub": {}}
    match = request.resolver_match
    current_url_name = f"{match.namespace}:{match.url_name}" if match else ""
    navigation = []
    for area in AREAS:
        if area.for_roles and not area.for_roles & request.roles:
            continue
        if area.slug == "admin":
            url = reverse("admin:index")
        else:
            url = reverse(area.url_name, kwargs={"partnership_code": partnership.code})
        current = (area.url_name and area.url_name == current_url_name) or (
            area.namespace and match is not None and area.namespace == match.namespace
        )
        navigation.append({"title": area.title, "url": url, "current": bool(current)})
    return {
        "hub": {
            "partnership": partnership,
            "partnerships": list(partnerships_of_user(user=request.user)),
            "navigation": navigation,
            "roles": request.roles,
        }
    }
