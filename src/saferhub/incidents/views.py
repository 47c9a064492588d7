from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from saferhub.hub.next_steps import next_steps_for
from saferhub.incidents.forms import (
    EmergencyDisclosureForm,
    IncidentFilterForm,
    IncidentForm,
    PersonFormSet,
)
from saferhub.incidents.intake import (
    incident_record_with_records,
    intake_choices,
    people_who_look_known,
)
from saferhub.incidents.models import Incident
from saferhub.incidents.presenters import (
    incident_page,
    incident_rows,
    why_shown,
    write_incidents_csv,
)
from saferhub.incidents.selectors import (
    IncidentFilters,
    access_of,
    count_up_to,
    incident_visible_to,
    incidents_visible_to,
    with_details,
)
from saferhub.incidents.services import (
    EmergencyRefused,
    IncidentInput,
    IncidentInvalid,
    PersonInput,
    emergency_disclosure_create,
    incident_reads_record,
)
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.sharing.engine import reader_for
from saferhub.sharing.models import Level, Purpose
from saferhub.sharing.redaction import incident_as_seen

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


@partnership_member_required
def incident_list(request: HttpRequest) -> HttpResponse:
    partnership = request.partnership
    form = IncidentFilterForm(request.GET or None, partnership=partnership)
    filters = IncidentFilters(partnership=partnership.code)
    if form.is_bound and form.is_valid():
        chosen = {k: v for k, v in form.cleaned_data.items() if v}
        filters = IncidentFilters(partnership=partnership.code, **chosen)
    reader = reader_for(request.user, Purpose.TASKING)
    visible = incidents_visible_to(reader=reader, filters=filters)
    number = _page_number(request.GET.get("page"))
    start = (number - 1) * PAGE_SIZE
    rows = with_details(visible[start : start + PAGE_SIZE + 1])
    incidents, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    incident_reads_record(reader=reader, incidents=incidents)
    count, exact = count_up_to(visible)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "page": {"number": number, "previous": number - 1, "next": number + 1 if more else 0},
            "count": count,
            "count_exact": exact,
            "rows": incident_rows([(i, access_of(reader, i)) for i in incidents]),
            "query": query.urlencode(),
            "export_query": request.GET.urlencode(),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@partnership_member_required
def incident_export(request: HttpRequest) -> HttpResponse:
    """The incidents the user may see, with the list's filters, as a CSV file; each row at
    the level the user may see it. The export is written to the audit trail."""
    partnership = request.partnership
    form = IncidentFilterForm(request.GET or None, partnership=partnership)
    filters = IncidentFilters(partnership=partnership.code)
    if form.is_bound:
        if not form.is_valid():
            return incident_list(request, partnership_code=partnership.code)
        chosen = {k: v for k, v in form.cleaned_data.items() if v}
        filters = IncidentFilters(partnership=partnership.code, **chosen)
    reader = reader_for(request.user, Purpose.TASKING)
    incidents = with_details(incidents_visible_to(reader=reader, filters=filters)[:EXPORT_LIMIT])
    incident_reads_record(reader=reader, incidents=incidents, action="export")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = (
        f'attachment; filename="incidents-{partnership.code}-{stamp}.csv"'
    )
    write_incidents_csv(response, [incident_as_seen(i, access_of(reader, i)) for i in incidents])
    return response


def _incident_or_404(request: HttpRequest, reader, incident_id: int):
    """The incident of this page's partnership, if the reader may see it; else 404."""
    try:
        incident, access = incident_visible_to(reader=reader, incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404("No such incident") from None
    if incident.partnership_id != request.partnership.pk:
        raise Http404("No such incident")
    return incident, access


@partnership_member_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    reader = reader_for(request.user, Purpose.TASKING)
    incident, access = _incident_or_404(request, reader, incident_id)
    incident_reads_record(reader=reader, incidents=[incident])
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": _page_of(incident, access),
            "why": why_shown(access),
            "can_ask_for_emergency": access.level == Level.DEPERSONALISED,
            "next_steps": next_steps_for(
                reader, kind="incident", record_id=incident.pk, organisation_id=incident.owner_id
            ),
        },
    )


@partnership_member_required
def incident_new(request: HttpRequest) -> HttpResponse:
    """Record an incident. The people and the place are picked from the organisation's own
    records (find-as-you-type with htmx, or the Find buttons without JavaScript) or added as
    new records; adding someone who looks already known asks the user first."""
    partnership = request.partnership
    reader = reader_for(request.user, Purpose.TASKING)
    form = IncidentForm(request.POST or None, partnership=partnership)
    people = PersonFormSet(request.POST or None, prefix="people")
    finding = request.method == "POST" and "find" in request.POST
    known: dict[int, list] = {}
    if request.method == "POST" and not finding and form.is_valid() and people.is_valid():
        data = _incident_input(form.cleaned_data, people.cleaned_data)
        confirmed = {i for i, p in enumerate(_people_named(people.cleaned_data)) if p.get("is_new")}
        known = people_who_look_known(reader=reader, data=data, confirmed_new=confirmed)
        if not known:
            try:
                incident = incident_record_with_records(
                    user=request.user, partnership=partnership, data=data
                )
            except IncidentInvalid as exc:
                _show_errors(form, people, exc.errors)
            else:
                messages.success(request, "The incident is recorded.")
                return redirect(
                    "incidents:detail", partnership_code=partnership.code, incident_id=incident.pk
                )
    if finding:
        # Finding records is not submitting: the form is shown again without complaints.
        form.is_valid(), people.is_valid()
        form.errors.clear()
        for person in people:
            person.errors.clear()
    intake_choices(reader, form, people, known)
    return render(
        request,
        "incidents/new.html",
        {"form": form, "people": people},
        status=422 if request.method == "POST" and not finding else 200,
    )


def _people_named(people: list[dict]) -> list[dict]:
    return [p for p in people if p and p.get("role")]


def _incident_input(incident: dict, people: list[dict]) -> IncidentInput:
    fields = {k: v for k, v in incident.items() if k not in ("place_find", "place_record")}
    return IncidentInput(
        **fields,
        place_record_id=incident.get("place_record"),
        people=[
            PersonInput(
                role=p["role"],
                given_name=p["given_name"],
                family_name=p["family_name"],
                date_of_birth=p["date_of_birth"],
                sex=p["sex"] or "unknown",
                person_record_id=p.get("person_record"),
            )
            for p in _people_named(people)
        ],
    )


def _show_errors(form, people, errors: dict[str, str]) -> None:
    """Put the service's errors on the fields they name ("people[1].person_record")."""
    named = [f for f in people if f.cleaned_data and f.cleaned_data.get("role")]
    for field, message in errors.items():
        if field.startswith("people["):
            index, _, name = field[len("people[") :].partition("].")
            person = named[int(index)]
            person.add_error(name if name in person.fields else None, message)
        else:
            form.add_error(field if field in form.fields else None, message)


@partnership_member_required
def emergency_disclosure(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Ask for the full record in an emergency (vital interests)."""
    reader = reader_for(request.user, Purpose.TASKING)
    incident, access = _incident_or_404(request, reader, incident_id)
    form = EmergencyDisclosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            emergency_disclosure_create(
                reader=reader, incident=incident, reason=form.cleaned_data["reason"]
            )
        except EmergencyRefused as exc:
            form.add_error("reason", str(exc))
        else:
            messages.success(
                request,
                "You can see this incident in full for the next 24 hours. The data protection "
                "lead of the organisation that recorded it will review your reason.",
            )
            return redirect(
                "incidents:detail",
                partnership_code=request.partnership.code,
                incident_id=incident_id,
            )
    return render(
        request,
        "incidents/emergency.html",
        {"form": form, "incident": _page_of(incident, access)},
        status=422 if form.errors else 200,
    )


def _page_of(incident: Incident, access) -> dict:
    page = incident_page(
        incident_as_seen(incident, access),
        theme_names={t.code: t.name for t in incident.theme_list()},
        organisation_names={
            incident.owner.code: incident.owner.name,
            **{o.code: o.name for o in incident.relevant_partners.all()},
        },
    )
    page["occurred_label"] = f"{timezone.localtime(incident.occurred_at):%-d %B %Y, %H:%M}"
    return page
