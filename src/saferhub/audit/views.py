from collections.abc import Callable
from dataclasses import replace
from functools import wraps

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from saferhub.audit.forms import EventSearchForm, SubjectAccessForm
from saferhub.audit.presenters import (
    disclosure_rows,
    disclosures_as_csv,
    disclosures_as_json,
    event_rows,
)
from saferhub.audit.selectors import (
    EventFilters,
    events_about_subject,
    events_of_partnership,
    subject_key_of,
)
from saferhub.audit.services import audit_record
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import Role

PAGE_SIZE = 50
AUDIT_ROLES = frozenset({Role.AUDITOR, Role.DATA_PROTECTION_LEAD})


def auditor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in the partnership's auditors and data protection leads; anyone else gets 404."""

    @never_cache
    @partnership_member_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.roles & AUDIT_ROLES:
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return guarded


@auditor_required
def search(request: HttpRequest) -> HttpResponse:
    partnership = request.partnership
    form = EventSearchForm(request.GET or None, partnership=partnership)
    query = request.GET.copy()
    query.pop("page", None)
    page = rows = None
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else EventFilters()
        # The newest event when the search was made: later pages of the same search do not
        # shift as events (this page's own, for one) are recorded.
        up_to = _whole_number(request.GET.get("until"))
        if up_to is None:
            up_to = (
                events_of_partnership(partnership=partnership, filters=filters)
                .values_list("sequence", flat=True)
                .first()
            )
            query["until"] = up_to or 0
        events = events_of_partnership(
            partnership=partnership, filters=replace(filters, up_to_sequence=up_to or 0)
        )
        paginator = Paginator(events, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = event_rows(page.object_list)
        audit_record(
            actor=request.user,
            action="audit_search",
            purpose="",
            partnership_code=partnership.code,
            detail={
                "search": "events",
                "filters": {
                    name: value
                    for name, value in (form.cleaned_data if form.is_bound else {}).items()
                    if value not in (None, "")
                },
                "page": page.number,
                "results": paginator.count,
            },
        )
    return render(
        request,
        "audit/search.html",
        {
            "form": form,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2)
            if page
            else [],
            "rows": rows,
            "query": query.urlencode(),
            "filtered": any(form.cleaned_data.values()) if form.is_bound and page else False,
        },
        status=422 if form.errors else 200,
    )


def _whole_number(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


@auditor_required
def subject_access(request: HttpRequest) -> HttpResponse:
    # Posted, so that the person's name and date of birth stay out of addresses and logs.
    partnership = request.partnership
    form = SubjectAccessForm(request.POST if request.method == "POST" else None)
    context: dict = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        key = subject_key_of(
            partnership=partnership,
            given_name=data["given_name"],
            family_name=data["family_name"],
            date_of_birth=data["date_of_birth"],
        )
        rows = disclosure_rows(events_about_subject(partnership=partnership, subject_key=key))
        audit_record(
            actor=request.user,
            action="audit_search",
            purpose="",
            partnership_code=partnership.code,
            detail={"search": "subject_access", "subject_key": key, "results": len(rows)},
        )
        context.update(rows=rows, subject_key=key, person=data)
    return render(request, "audit/subject_access.html", context, status=422 if form.errors else 200)


@auditor_required
def subject_access_download(request: HttpRequest, file_format: str) -> HttpResponse:
    if file_format not in ("csv", "json"):
        raise Http404("No such format")
    key = request.GET.get("subject", "")
    if not key or len(key) > 64:
        raise Http404("No such person")
    partnership = request.partnership
    rows = disclosure_rows(events_about_subject(partnership=partnership, subject_key=key))
    audit_record(
        actor=request.user,
        action="sar_export",
        purpose="",
        partnership_code=partnership.code,
        detail={"format": file_format, "subject_key": key, "results": len(rows)},
    )
    filename = f"disclosure-history-{partnership.code}-{timezone.localdate():%Y-%m-%d}"
    if file_format == "csv":
        response = HttpResponse(disclosures_as_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            disclosures_as_json(rows, partnership_code=partnership.code, key=key),
            content_type="application/json",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
