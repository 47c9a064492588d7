from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.presenters import protocols_in_force_rows
from saferhub.partnerships.selectors import (
    funded_posts_of_partnership,
    memberships_of_partnership,
    partnerships_of_user,
    protocols_in_force,
)


@partnership_member_required
def home(request: HttpRequest) -> HttpResponse:
    partnership = request.partnership
    today = timezone.localdate()
    posts, posts_total = funded_posts_of_partnership(partnership=partnership)
    return render(
        request,
        "partnerships/home.html",
        {
            "memberships": memberships_of_partnership(partnership=partnership),
            "funded_posts": posts,
            "funded_posts_total": posts_total,
            "protocols": protocols_in_force_rows(
                protocols_in_force(partnership=partnership, day=today), today
            ),
        },
    )


@login_required
def switch(request: HttpRequest) -> HttpResponse:
    """The partnership switcher's form lands here and goes on to the chosen partnership."""
    code = request.GET.get("partnership", "")
    if not partnerships_of_user(user=request.user).filter(code=code).exists():
        raise Http404("No such partnership")
    return redirect("partnerships:home", partnership_code=code)
