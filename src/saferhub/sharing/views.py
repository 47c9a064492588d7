from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.presenters import protocols_in_force_rows
from saferhub.partnerships.selectors import protocols_of_partnership


@partnership_member_required
def protocols(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "sharing/protocols.html",
        {
            "rows": protocols_in_force_rows(
                protocols_of_partnership(partnership=request.partnership), today
            ),
            "today": today,
        },
    )


@partnership_member_required
def protocol(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    versions = [
        p
        for p in protocols_of_partnership(partnership=request.partnership)
        if p.code == protocol_code
    ]
    chosen = next((p for p in versions if p.version == version), None)
    if chosen is None:
        raise Http404("No such protocol")
    today = timezone.localdate()
    return render(
        request,
        "sharing/protocol.html",
        {
            "row": protocols_in_force_rows([chosen], today)[0],
            "protocol": chosen,
            "in_force": chosen.is_active_on(today),
            "today": today,
            "versions": versions,
            "signings": sorted(chosen.signings.all(), key=lambda s: s.organisation.name),
        },
    )
