"""Guarding views that belong to one partnership."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from saferhub.partnerships.models import Partnership
from saferhub.partnerships.selectors import roles_of_user

LAST_PARTNERSHIP_SESSION_KEY = "partnership"


def partnership_member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in users who hold a role in the partnership named by the URL's `partnership_code`.

    Anyone else gets 404, as if the partnership did not exist: the hub does not confirm
    which partnerships are on it to people outside them. Sets `request.partnership` and
    `request.roles`, and remembers the partnership for the user's next visit.
    """

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, partnership_code: str, *args, **kwargs) -> HttpResponse:
        partnership = Partnership.objects.filter(code=partnership_code).first()
        roles = roles_of_user(user=request.user, partnership=partnership) if partnership else set()
        if not roles:
            raise Http404("No such partnership")
        request.partnership = partnership
        request.roles = roles
        request.session[LAST_PARTNERSHIP_SESSION_KEY] = partnership.code
        return view(request, *args, **kwargs)

    return guarded
