"""The incidents API: /api/v1/incidents and /api/v1/stats/incidents."""

import datetime
from typing import Literal

from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from saferhub.api.errors import InvalidInput
from saferhub.api.schemas import ErrorOut, ValidationErrorOut
from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import (
    GROUPINGS,
    SUPPRESS_BELOW,
    IncidentFilters,
    access_of,
    count_up_to,
    incident_counts,
    incident_visible_to,
    incidents_visible_to,
    with_details,
)
from saferhub.incidents.services import (
    IncidentInput,
    IncidentInvalid,
    PersonInput,
    incident_create,
    incident_reads_record,
    incident_update,
)
from saferhub.incidents.vocabulary import Category, PersonRole, Risk, Sex, VulnerabilityFlag
from saferhub.partnerships.selectors import partnerships_of_user
from saferhub.people.selectors import person_record_ids_by_reference
from saferhub.places.selectors import place_record_ids_by_reference
from saferhub.sharing.engine import reader_for
from saferhub.sharing.models import Purpose
from saferhub.sharing.redaction import incident_as_seen

router = Router(tags=["incidents"])

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _choices(enum):
    return Literal[tuple(enum.values)]


class PersonIn(Schema):
    role: _choices(PersonRole)  # type: ignore[valid-type]
    given_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    date_of_birth: datetime.date | None = None
    sex: _choices(Sex) = "unknown"  # type: ignore[valid-type]
    person_record: str | None = Field(
        None,
        max_length=100,
        description="your organisation's reference of its record of this person "
        "(pushed with POST /imports/people)",
    )


class IncidentIn(Schema):
    partnership: str
    source_ref: str | None = Field(None, max_length=100)
    category: _choices(Category)  # type: ignore[valid-type]
    themes: list[str] = Field(..., min_length=1)
    occurred_at: datetime.datetime
    reported_at: datetime.datetime | None = None
    address: str = Field("", max_length=300)
    postcode: str = Field("", max_length=10)
    data_zone: str = Field("", max_length=12)
    place_record: str | None = Field(
        None,
        max_length=100,
        description="your organisation's reference of its record of the place "
        "(pushed with POST /imports/places)",
    )
    people: list[PersonIn] = []
    vulnerability_flags: list[_choices(VulnerabilityFlag)] = []  # type: ignore[valid-type]
    narrative: str = ""
    risk: _choices(Risk)  # type: ignore[valid-type]
    relevant_partners: list[str] = []
    restricted: bool = False


class IncidentPatch(Schema):
    source_ref: str | None = Field(None, max_length=100)
    category: _choices(Category) | None = None  # type: ignore[valid-type]
    themes: list[str] | None = Field(None, min_length=1)
    occurred_at: datetime.datetime | None = None
    reported_at: datetime.datetime | None = None
    address: str | None = Field(None, max_length=300)
    postcode: str | None = Field(None, max_length=10)
    data_zone: str | None = Field(None, max_length=12)
    place_record: str | None = Field(None, max_length=100)
    people: list[PersonIn] | None = None
    vulnerability_flags: list[_choices(VulnerabilityFlag)] | None = None  # type: ignore[valid-type]
    narrative: str | None = None
    risk: _choices(Risk) | None = None  # type: ignore[valid-type]
    relevant_partners: list[str] | None = None
    restricted: bool | None = None


class PersonOut(Schema):
    role: str
    pseudonym: str
    age_band: str
    sex: str
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None


class PlaceOut(Schema):
    data_zone: str
    address: str | None = None
    postcode: str | None = None


class IncidentOut(Schema):
    id: int
    partnership: str
    owner: str
    category: str
    themes: list[str]
    occurred_at: str
    reported_at: str
    place: PlaceOut | None
    people: list[PersonOut]
    vulnerability_flags: list[str]
    risk: str
    relevant_partners: list[str]
    restricted: bool
    access_level: Literal["personal", "depersonalised"]
    shared_under: str | dict = Field(
        ...,
        description='"owner", "relevant_partner", "emergency", or {"protocol": CODE, "version": N}',
    )
    source_ref: str | None = Field(None, description="personal level only")
    narrative: str | None = Field(None, description="personal level only")


class IncidentPage(Schema):
    count: int = Field(..., description="exact up to 10,000; see count_exact")
    count_exact: bool
    next: str | None
    previous: str | None
    results: list[IncidentOut]


class FilterQuery(Schema):
    partnership: str | None = None
    theme: str | None = None
    category: _choices(Category) | None = None  # type: ignore[valid-type]
    occurred_from: datetime.date | None = Field(None, alias="from")
    occurred_to: datetime.date | None = Field(None, alias="to")
    owner: str | None = None
    risk: _choices(Risk) | None = None  # type: ignore[valid-type]


class ListQuery(FilterQuery):
    page: int = Field(1, ge=1)
    page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class StatsQuery(FilterQuery):
    by: str = Field("theme", description=f"comma-separated: {', '.join(GROUPINGS)}")


def _invalid(errors: dict[str, str]) -> InvalidInput:
    return InvalidInput("The incident is not valid.", errors)


def _filters(query) -> IncidentFilters:
    return IncidentFilters(
        partnership=query.partnership,
        theme=query.theme,
        category=query.category,
        occurred_from=query.occurred_from,
        occurred_to=query.occurred_to,
        owner=query.owner,
        risk=query.risk,
    )


def _to_input(payload: IncidentIn, organisation_id: int | None) -> IncidentInput:
    data = payload.dict(exclude={"partnership", "people"})
    return IncidentInput(
        **_with_record_ids(data, organisation_id),
        people=_people_input([person.dict() for person in payload.people], organisation_id),
    )


def _with_record_ids(data: dict, organisation_id: int | None) -> dict:
    """`place_record` given as the organisation's reference becomes `place_record_id`."""
    if "place_record" not in data:
        return data
    reference = data.pop("place_record")
    data["place_record_id"] = None
    if reference:
        found = place_record_ids_by_reference(organisation_id, [reference])
        if reference not in found:
            raise _invalid({"place_record": f"Your organisation has no place record {reference}"})
        data["place_record_id"] = found[reference]
    return data


def _people_input(people: list[dict], organisation_id: int | None) -> list[PersonInput]:
    """People with `person_record` given as the organisation's reference, resolved to ids."""
    references = [p["person_record"] for p in people if p.get("person_record")]
    found = person_record_ids_by_reference(organisation_id, references)
    errors = {
        f"people[{index}].person_record": f"Your organisation has no person record {ref}"
        for index, person in enumerate(people)
        if (ref := person.get("person_record")) and ref not in found
    }
    if errors:
        raise _invalid(errors)
    return [
        PersonInput(
            **{k: v for k, v in person.items() if k != "person_record"},
            person_record_id=found.get(person.get("person_record") or ""),
        )
        for person in people
    ]


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@router.get(
    "/incidents",
    response={200: IncidentPage, 401: ErrorOut, 422: ValidationErrorOut},
    exclude_unset=True,
    summary="Incidents you may see, newest first",
)
def incident_list(request: HttpRequest, query: Query[ListQuery]) -> dict:
    reader = reader_for(request.user, Purpose.TASKING)
    visible = incidents_visible_to(reader=reader, filters=_filters(query))
    count, exact = count_up_to(visible)
    start = (query.page - 1) * query.page_size
    # One more than a page tells whether there is a next page without counting them all.
    rows = with_details(visible[start : start + query.page_size + 1])
    page, more = rows[: query.page_size], len(rows) > query.page_size
    incident_reads_record(reader=reader, incidents=page)
    return {
        "count": count,
        "count_exact": exact,
        "next": _page_url(request, query.page + 1) if more else None,
        "previous": _page_url(request, query.page - 1) if query.page > 1 else None,
        "results": [incident_as_seen(i, access_of(reader, i)) for i in page],
    }


@router.get(
    "/incidents/{incident_id}",
    response={200: IncidentOut, 401: ErrorOut, 404: ErrorOut},
    exclude_unset=True,
    summary="One incident, at the level you may see it",
)
def incident_detail(request: HttpRequest, incident_id: int) -> dict:
    reader = reader_for(request.user, Purpose.TASKING)
    try:
        incident, access = incident_visible_to(reader=reader, incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404(f"No incident {incident_id} that you may see.") from None
    incident_reads_record(reader=reader, incidents=[incident])
    return incident_as_seen(incident, access)


@router.post(
    "/incidents",
    response={201: IncidentOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    exclude_unset=True,
    summary="Record an incident owned by your organisation",
)
def incident_record(request: HttpRequest, payload: IncidentIn):
    partnership = partnerships_of_user(user=request.user).filter(code=payload.partnership).first()
    if partnership is None:
        raise _invalid({"partnership": f"{payload.partnership!r} is not a partnership you work in"})
    try:
        incident = incident_create(
            user=request.user,
            partnership=partnership,
            data=_to_input(payload, request.user.organisation_id),
        )
    except IncidentInvalid as exc:
        raise _invalid(exc.errors) from None
    reader = reader_for(request.user, Purpose.TASKING)
    incident, access = incident_visible_to(reader=reader, incident_id=incident.pk)
    return Status(201, incident_as_seen(incident, access))


@router.patch(
    "/incidents/{incident_id}",
    response={
        200: IncidentOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    exclude_unset=True,
    summary="Change an incident your organisation recorded",
)
def incident_change(request: HttpRequest, incident_id: int, payload: IncidentPatch):
    reader = reader_for(request.user, Purpose.TASKING)
    try:
        incident, _ = incident_visible_to(reader=reader, incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404(f"No incident {incident_id} that you may see.") from None
    changes = _with_record_ids(payload.dict(exclude_unset=True), request.user.organisation_id)
    if "people" in changes:
        changes["people"] = _people_input(changes["people"], request.user.organisation_id)
    try:
        with transaction.atomic():
            incident_update(
                user=request.user, incident=incident, changes=changes, changed_through="api"
            )
    except PermissionError as exc:
        raise HttpError(403, str(exc)) from None
    except IncidentInvalid as exc:
        raise _invalid(exc.errors) from None
    incident, access = incident_visible_to(reader=reader, incident_id=incident_id)
    return incident_as_seen(incident, access)


class CountOut(Schema):
    theme: str | None = None
    month: str | None = None
    category: str | None = None
    owner: str | None = None
    risk: str | None = None
    partnership: str | None = None
    data_zone: str | None = None
    count: int | None
    suppressed: bool


class StatsOut(Schema):
    by: list[str]
    suppressed_below: int
    results: list[CountOut]


@router.get(
    "/stats/incidents",
    response={200: StatsOut, 401: ErrorOut, 422: ValidationErrorOut},
    exclude_unset=True,
    summary="Counts of incidents, for analysis; counts under 5 are suppressed",
)
def incident_stats(request: HttpRequest, query: Query[StatsQuery]) -> dict:
    by = [part.strip() for part in query.by.split(",") if part.strip()]
    unknown = [part for part in by if part not in GROUPINGS]
    if not by or unknown or len(set(by)) != len(by):
        raise _invalid(
            {"by": f"Group by one or more of {', '.join(GROUPINGS)}, each once, comma-separated"}
        )
    reader = reader_for(request.user, Purpose.ANALYSIS)
    return {
        "by": by,
        "suppressed_below": SUPPRESS_BELOW,
        "results": incident_counts(reader=reader, by=by, filters=_filters(query)),
    }
