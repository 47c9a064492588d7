from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from saferhub.hub.find import find_text
from saferhub.hub.next_steps import next_steps_for
from saferhub.incidents.presenters import incident_rows
from saferhub.incidents.selectors import access_of
from saferhub.linkage.selectors import entity_of_record
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.people.forms import PersonSearchForm
from saferhub.people.models import PersonRecord
from saferhub.people.presenters import person_page, person_rows, revision_rows
from saferhub.people.selectors import (
    person_choices,
    person_record_history,
    person_record_incidents,
    person_record_visible_to,
    person_records_access,
    person_search,
)
from saferhub.people.services import person_record_reads_record, person_record_snapshot
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Purpose

RESULTS = 50


def _reader(request: HttpRequest) -> Reader:
    # The pages of a partnership show what reaches the reader through that partnership.
    return reader_in_partnership(reader_for(request.user, Purpose.TASKING), request.partnership.pk)


@partnership_member_required
def person_search_page(request: HttpRequest) -> HttpResponse:
    reader = _reader(request)
    form = PersonSearchForm(request.GET or None)
    records, more = [], False
    asked = form.asked()
    if asked and form.is_valid():
        found = person_search(
            reader=reader,
            text=form.cleaned_data["name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            chi=form.cleaned_data["chi"],
            limit=RESULTS + 1,
        )
        records, more = found[:RESULTS], len(found) > RESULTS
        person_record_reads_record(
            reader=reader, seen=person_records_access(reader=reader, records=records)
        )
    return render(
        request,
        "people/search.html",
        {
            "form": form,
            "asked": asked and not form.errors,
            "rows": person_rows(records),
            "more": more,
            "can_see_people": request.partnership.pk in reader.personal_partnerships,
        },
        status=422 if form.errors else 200,
    )


@partnership_member_required
def person_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    reader = _reader(request)
    try:
        record, access, incident = person_record_visible_to(reader=reader, record_id=record_id)
    except PersonRecord.DoesNotExist:
        raise Http404("No such person record") from None
    incidents, count, exact = person_record_incidents(reader=reader, record=record)
    person_record_reads_record(
        reader=reader, seen=[(record, access, incident)], incidents=incidents
    )
    history = person_record_history(reader=reader, record=record)
    return render(
        request,
        "people/detail.html",
        {
            "person": person_page(
                record,
                access,
                incident,
                partnership_code=request.partnership.code,
                today=timezone.localdate(),
            ),
            "incidents": incident_rows([(i, access_of(reader, i)) for i in incidents]),
            "incident_count": count,
            "incident_count_exact": exact,
            "history": revision_rows(history, person_record_snapshot(record)) if history else [],
            "owner": record.organisation_id == reader.organisation_id,
            "next_steps": next_steps_for(
                reader, kind="person", record_id=record.pk, organisation_id=record.organisation_id
            ),
            # The linked person this record belongs to, when the reader may see it.
            "entity_id": entity_of_record(reader=reader, record=record),
        },
    )


@partnership_member_required
def person_choices_fragment(request: HttpRequest) -> HttpResponse:
    """Options for the incident form's person picker (htmx): the reader's own records only."""
    reader = _reader(request)
    records = person_choices(
        reader=reader,
        organisation_id=request.user.organisation_id,
        text=find_text(request),
    )
    return render(request, "people/_choices.html", {"rows": person_rows(records)})
