from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from saferhub.hub.find import find_text
from saferhub.hub.next_steps import next_steps_for
from saferhub.incidents.presenters import incident_rows
from saferhub.incidents.selectors import access_of
from saferhub.linkage.selectors import entity_of_record
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.people.presenters import revision_rows
from saferhub.places.forms import PlaceSearchForm
from saferhub.places.models import PlaceRecord
from saferhub.places.presenters import FIELD_NAMES, place_page, place_rows
from saferhub.places.selectors import (
    data_zone_of,
    place_choices,
    place_record_history,
    place_record_incidents,
    place_record_visible_to,
    place_records_access,
    place_search,
)
from saferhub.places.services import place_record_reads_record, place_record_snapshot
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Purpose

RESULTS = 50


def _reader(request: HttpRequest) -> Reader:
    # The pages of a partnership show what reaches the reader through that partnership.
    return reader_in_partnership(reader_for(request.user, Purpose.TASKING), request.partnership.pk)


@partnership_member_required
def place_search_page(request: HttpRequest) -> HttpResponse:
    reader = _reader(request)
    form = PlaceSearchForm(request.GET or None)
    records, more = [], False
    asked = form.asked()
    if asked and form.is_valid():
        found = place_search(
            reader=reader,
            text=form.cleaned_data["address"],
            postcode=form.cleaned_data["postcode"],
            uprn=form.cleaned_data["uprn"],
            limit=RESULTS + 1,
        )
        records, more = found[:RESULTS], len(found) > RESULTS
        place_record_reads_record(
            reader=reader, seen=place_records_access(reader=reader, records=records)
        )
    return render(
        request,
        "places/search.html",
        {
            "form": form,
            "asked": asked and not form.errors,
            "rows": place_rows(records),
            "more": more,
            "can_see_places": request.partnership.pk in reader.personal_partnerships,
        },
        status=422 if form.errors else 200,
    )


@partnership_member_required
def place_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    reader = _reader(request)
    try:
        record, access, incident = place_record_visible_to(reader=reader, record_id=record_id)
    except PlaceRecord.DoesNotExist:
        raise Http404("No such place record") from None
    incidents, count, exact = place_record_incidents(reader=reader, record=record)
    place_record_reads_record(reader=reader, seen=[(record, access, incident)], incidents=incidents)
    history = place_record_history(reader=reader, record=record)
    return render(
        request,
        "places/detail.html",
        {
            "place": place_page(record, access, data_zone_of(record)),
            "incidents": incident_rows([(i, access_of(reader, i)) for i in incidents]),
            "incident_count": count,
            "incident_count_exact": exact,
            "history": (
                revision_rows(history, place_record_snapshot(record), FIELD_NAMES)
                if history
                else []
            ),
            "owner": record.organisation_id == reader.organisation_id,
            "next_steps": next_steps_for(
                reader, kind="place", record_id=record.pk, organisation_id=record.organisation_id
            ),
            # The linked place this record belongs to, when the reader may see it.
            "entity_id": entity_of_record(reader=reader, record=record),
        },
    )


@partnership_member_required
def place_choices_fragment(request: HttpRequest) -> HttpResponse:
    """Options for the incident form's place picker (htmx): the reader's own records only."""
    reader = _reader(request)
    records = place_choices(
        reader=reader,
        organisation_id=request.user.organisation_id,
        text=find_text(request),
    )
    return render(request, "places/_choices.html", {"rows": place_rows(records)})
