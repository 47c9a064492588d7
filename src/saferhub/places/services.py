"""Recording and changing place records, resolving them to data zones, and writing down who
read them."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace

from django.db import IntegrityError, transaction
from pyproj import Transformer

from saferhub.audit.services import Disclosure, audit_record, disclosure_under
from saferhub.geography.postcodes import postcode_normalise
from saferhub.geography.selectors import data_zone_for
from saferhub.geography.services import BRITISH_NATIONAL_GRID, WGS84
from saferhub.incidents.appearances import Appearance
from saferhub.incidents.models import Incident
from saferhub.incidents.services import disclosures_of
from saferhub.linkage.linking import records_link_on_arrival
from saferhub.linkage.models import EntityKind
from saferhub.partnerships.models import Organisation, User
from saferhub.places.addresses import address_key, uprn_problem
from saferhub.places.models import PlaceRecord, PlaceRecordRevision, PropertyType, ResolvedBy
from saferhub.sharing.engine import Access, Reader
from saferhub.sharing.models import Level

# Building a transformer reads the projection database; one of each, made once, serves every
# place (pyproj's transformers are safe to share between threads).
TO_WGS84 = Transformer.from_crs(BRITISH_NATIONAL_GRID, WGS84, always_xy=True)
TO_BRITISH_NATIONAL_GRID = Transformer.from_crs(WGS84, BRITISH_NATIONAL_GRID, always_xy=True)

# The National Grid's extent, and a box around the United Kingdom: a point outside is a typo
# (or the two numbers swapped), not a place a partner works.
EASTING_RANGE = (0, 700_000)
NORTHING_RANGE = (0, 1_300_000)
LATITUDE_RANGE = (49, 61)
LONGITUDE_RANGE = (-9, 2)


class PlaceRecordInvalid(Exception):
    """The place record cannot be stored; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class PlaceRecordInput:
    """A place record as typed in a form, sent to the API or read from an import. Give the
    location in British National Grid (easting, northing) or WGS84 (latitude, longitude): the
    other is worked out. Given both, the grid reference wins."""

    source_ref: str
    address_line_1: str = ""
    address_line_2: str = ""
    town: str = ""
    postcode: str = ""
    uprn: str = ""
    easting: float | str | None = None
    northing: float | str | None = None
    latitude: float | str | None = None
    longitude: float | str | None = None
    property_type: str = PropertyType.UNKNOWN


FIELDS = tuple(f.name for f in fields(PlaceRecordInput))
GRID = ("easting", "northing")
WORLD = ("latitude", "longitude")


def _as_input(data: PlaceRecordInput | Mapping) -> PlaceRecordInput:
    if isinstance(data, PlaceRecordInput):
        return data
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise PlaceRecordInvalid(
            {name: "This is not a field of a place record" for name in unknown}
        )
    if "source_ref" not in data:
        raise PlaceRecordInvalid({"source_ref": "Enter your organisation's reference"})
    return PlaceRecordInput(**data)


def _number(value: float | str | None) -> float | None:
    """A coordinate as a number; None when not given; ValueError when not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _coordinates(data: PlaceRecordInput, errors: dict[str, str]) -> dict[str, float | None]:
    """Both pairs of coordinates, one worked out from the other, or all None."""
    given: dict[str, float | None] = {}
    for name in (*GRID, *WORLD):
        try:
            given[name] = _number(getattr(data, name))
        except (TypeError, ValueError):
            errors[name] = f"Enter the {name} as a number"
            given[name] = None
    checks = {
        "easting": EASTING_RANGE,
        "northing": NORTHING_RANGE,
        "latitude": LATITUDE_RANGE,
        "longitude": LONGITUDE_RANGE,
    }
    for name, (low, high) in checks.items():
        if given[name] is not None and not low <= given[name] <= high:
            errors[name] = f"The {name} must be between {low} and {high} (in the UK)"
    for pair in (GRID, WORLD):
        if (given[pair[0]] is None) != (given[pair[1]] is None):
            missing = pair[0] if given[pair[0]] is None else pair[1]
            errors.setdefault(missing, f"Give the {pair[0]} and the {pair[1]} together")
    if any(name in errors for name in checks):
        return dict.fromkeys(checks)
    if given["easting"] is not None:
        longitude, latitude = TO_WGS84.transform(given["easting"], given["northing"])
        easting, northing = given["easting"], given["northing"]
    elif given["latitude"] is not None:
        latitude, longitude = given["latitude"], given["longitude"]
        easting, northing = TO_BRITISH_NATIONAL_GRID.transform(longitude, latitude)
    else:
        return dict.fromkeys(checks)
    # A tenth of a metre, and about a tenth of a metre in degrees: more would be noise.
    return {
        "easting": round(easting, 1),
        "northing": round(northing, 1),
        "latitude": round(latitude, 6),
        "longitude": round(longitude, 6),
    }


def _clean(data: PlaceRecordInput, organisation_id: int, exclude_pk: int | None = None) -> dict:
    """Check everything; return the record's fields (data zone not yet resolved), or raise
    PlaceRecordInvalid with every problem at once."""
    errors: dict[str, str] = {}
    source_ref = (data.source_ref or "").strip()
    if not source_ref:
        errors["source_ref"] = "Enter your organisation's reference for this place"
    elif len(source_ref) > 100:
        errors["source_ref"] = "The reference can be at most 100 characters"
    else:
        clash = PlaceRecord.objects.filter(organisation_id=organisation_id, source_ref=source_ref)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["source_ref"] = _duplicate_reference(source_ref)
    lines = {}
    for name, limit in (("address_line_1", 200), ("address_line_2", 200), ("town", 100)):
        lines[name] = (getattr(data, name) or "").strip()
        if len(lines[name]) > limit:
            errors[name] = f"This can be at most {limit} characters"
    postcode = (data.postcode or "").strip()
    if postcode:
        try:
            postcode = postcode_normalise(postcode)
        except ValueError as exc:
            errors["postcode"] = str(exc)
    uprn = str(data.uprn or "").strip()
    if uprn:
        problem = uprn_problem(uprn)
        if problem:
            errors["uprn"] = problem[0].upper() + problem[1:]
        else:
            uprn = str(int(uprn))  # leading zeros are padding, not part of the number
    property_type = data.property_type or PropertyType.UNKNOWN
    if property_type not in PropertyType.values:
        errors["property_type"] = f"Unknown property type {property_type!r}"
    coordinates = _coordinates(data, errors)
    located = coordinates["easting"] is not None or set(errors) & {*GRID, *WORLD}
    if not (lines["address_line_1"] or postcode or uprn or located):
        errors.setdefault(
            "address_line_1", "Enter an address, a postcode, a UPRN or coordinates for the place"
        )
    if errors:
        raise PlaceRecordInvalid(errors)
    return {
        "source_ref": source_ref,
        **lines,
        "postcode": postcode,
        "uprn": uprn,
        **coordinates,
        "property_type": property_type,
        "address_key": address_key(
            lines["address_line_1"], lines["address_line_2"], lines["town"], postcode
        ),
    }


def place_resolution(
    *, postcode: str, latitude: float | None, longitude: float | None
) -> tuple[str, str]:
    """The data zone code of a place and how it was found: by the postcode lookup first, then
    by the boundary its point falls in; ("", unresolved) when neither can say."""
    if postcode:
        zone = data_zone_for(postcode=postcode)
        if zone is not None:
            return zone.code, ResolvedBy.POSTCODE
    if latitude is not None and longitude is not None:
        zone = data_zone_for(latitude=latitude, longitude=longitude)
        if zone is not None:
            return zone.code, ResolvedBy.COORDINATES
    return "", ResolvedBy.UNRESOLVED


def _resolved(values: dict) -> dict:
    code, how = place_resolution(
        postcode=values["postcode"], latitude=values["latitude"], longitude=values["longitude"]
    )
    return {**values, "data_zone": code, "resolved_by": how}


def _duplicate_reference(reference: str) -> str:
    return f"Your organisation already has a place record with reference {reference}"


@transaction.atomic
def place_record_create(
    *, user: User | None, organisation: Organisation, data: PlaceRecordInput | Mapping
) -> PlaceRecord:
    """Record a place as `organisation` holds it, resolved to its data zone where it can be;
    a place that cannot be resolved is kept, marked unresolved. `user` is None only for the
    hub's own work; otherwise they must belong to the organisation."""
    if user is not None and user.organisation_id != organisation.pk:
        raise PermissionError("You can only record places for your own organisation")
    values = _resolved(_clean(_as_input(data), organisation.pk))
    try:
        # A savepoint, so that losing the race below leaves the caller's transaction usable.
        with transaction.atomic():
            record = PlaceRecord.objects.create(organisation=organisation, **values)
    except IntegrityError:
        # Another request took the same reference between the check and the insert.
        raise PlaceRecordInvalid(
            {"source_ref": _duplicate_reference(values["source_ref"])}
        ) from None
    # Matched against the partnership's places at once; a failure is logged and the next
    # bulk run links the record, which is kept either way.
    records_link_on_arrival(kind=EntityKind.PLACE, records=[record], user=user)
    return record


SNAPSHOT_FIELDS = (*FIELDS, "data_zone", "resolved_by")


def place_record_snapshot(record: PlaceRecord) -> dict:
    """What a place record says, as JSON: what a revision keeps."""
    return {name: getattr(record, name) for name in SNAPSHOT_FIELDS}


@transaction.atomic
def place_record_update(
    *,
    user: User | None,
    record: PlaceRecord,
    changes: Mapping,
    changed_through: str = "web",
) -> PlaceRecord:
    """Change a place record its organisation holds (PermissionError for anyone else).

    `changes` holds PlaceRecordInput field names. Changing one pair of coordinates works out
    the other again; a changed postcode or point (or a place not yet resolved) is resolved
    again. A revision keeps what the record said before, only if something changed.
    """
    if user is not None and user.organisation_id != record.organisation_id:
        raise PermissionError("Only the organisation that holds a place record can change it")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise PlaceRecordInvalid(
            {name: "This is not a field of a place record" for name in unknown}
        )
    before = place_record_snapshot(record)
    current = PlaceRecordInput(**{name: getattr(record, name) for name in FIELDS})
    # The pair not changed was worked out from the old one: work it out again from the new.
    if set(changes) & set(WORLD) and not set(changes) & set(GRID):
        current.easting = current.northing = None
    elif set(changes) & set(GRID) and not set(changes) & set(WORLD):
        current.latitude = current.longitude = None
    values = _clean(replace(current, **changes), record.organisation_id, exclude_pk=record.pk)
    if not set(changes) & {*GRID, *WORLD}:
        # Worked out again, an unchanged point could move by a rounding: keep it as it is.
        values.update({name: before[name] for name in (*GRID, *WORLD)})
    moved = any(values[name] != before[name] for name in ("postcode", *GRID, *WORLD))
    if moved or record.resolved_by == ResolvedBy.UNRESOLVED:
        values = _resolved(values)
    said_otherwise = any(values[name] != before[name] for name in FIELDS)
    if not said_otherwise and all(
        values.get(name, before[name]) == before[name] for name in SNAPSHOT_FIELDS
    ):
        return record
    for name, value in values.items():
        setattr(record, name, value)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise PlaceRecordInvalid(
            {"source_ref": _duplicate_reference(values["source_ref"])}
        ) from None
    if said_otherwise:
        # A place newly resolved against reference data loaded since is not a change the
        # organisation made (as in place_records_resolve): no revision for that alone.
        PlaceRecordRevision.objects.create(
            place=record, before=before, changed_by=user, changed_through=changed_through
        )
    return record


def place_records_resolve(organisation: Organisation | None = None) -> int:
    """Try again to resolve the places not yet resolved (of one organisation, or all), as
    after reference data is loaded; returns how many were resolved. Resolving adds what the
    reference data says, not what the organisation said, so it writes no revision."""
    unresolved = PlaceRecord.objects.filter(resolved_by=ResolvedBy.UNRESOLVED)
    if organisation is not None:
        unresolved = unresolved.filter(organisation=organisation)
    resolved = []
    for place in unresolved.only("pk", "postcode", "latitude", "longitude").iterator(
        chunk_size=2000
    ):
        code, how = place_resolution(
            postcode=place.postcode, latitude=place.latitude, longitude=place.longitude
        )
        if how != ResolvedBy.UNRESOLVED:
            place.data_zone, place.resolved_by = code, how
            resolved.append(place)
    with transaction.atomic():
        PlaceRecord.objects.bulk_update(resolved, ["data_zone", "resolved_by"], batch_size=500)
    return len(resolved)


def _disclosure(record: PlaceRecord, access: Access, incident: Incident) -> Disclosure:
    """The audit trail's account of showing a place record, and the incident that allowed it."""
    return disclosure_under(
        access,
        record_type="place_record",
        record_id=record.pk,
        partnership_code=incident.partnership.code,
        owner_code=record.organisation.code,
    )


def place_record_reads_record(
    *,
    reader: Reader,
    seen: Iterable[tuple[PlaceRecord, Access, Appearance | None]],
    incidents: Iterable[Incident] = (),
) -> None:
    """Write down, in one audit call, each other organisation's place record the reader saw
    and each other organisation's incident shown beside them. Own records are not a
    disclosure."""
    disclosures = [
        _disclosure(record, access, incident)
        for record, access, incident in seen
        if record.organisation_id != reader.organisation_id
        and incident is not None
        and access.level in (Level.PERSONAL, Level.DEPERSONALISED)
    ]
    disclosures += disclosures_of(reader, incidents)
    if disclosures:
        audit_record(
            actor=reader.user, action="read", purpose=reader.purpose, disclosures=disclosures
        )
