from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from saferhub.partnerships.decorators import (
    LAST_PARTNERSHIP_SESSION_KEY,
)
from saferhub.partnerships.selectors import partnerships_of_user


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Send the user to the partnership they used last, or their first one."""
    partnerships = list(partnerships_of_user(user=request.user))
    if not partnerships:
        return render(request, "hub/no_partnership.html")
    last = request.session.get(LAST_PARTNERSHIP_SESSION_KEY)
    chosen = next((p for p in partnerships if p.code == last), partnerships[0])
    return redirect("partnerships:home", partnership_code=chosen.code)


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "hub/accessibility.html")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
