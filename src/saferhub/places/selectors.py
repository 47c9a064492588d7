"""Reading place records, always through the sharing engine (saferhub.incidents.appearances).

Searching looks only at records the reader may see at `personal`: matching a depersonalised
place by its address would tell the reader which address stands behind the data zone.
"""

import contextlib
import re

from django.db.models import Q, QuerySet

from saferhub.geography.models import DataZone
from saferhub.geography.postcodes import postcode_normalise
from saferhub.incidents.appearances import (
    Appearance,
    held_record_access,
    held_records_filter,
    owner_level,
)
from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import (
    IncidentFilters,
    count_up_to,
    incidents_visible_to,
    with_details,
)
from saferhub.places.addresses import address_key
from saferhub.places.models import PlaceRecord, PlaceRecordRevision
from saferhub.sharing.engine import RANK, Access, Reader
from saferhub.sharing.models import Level

# The start of a postcode down to its sector ("KY1 1"), or its district ("KY1"). The space
# tells them apart: "KY11" is a district, not KY1's sector 1.
_SECTOR = re.compile(r"^(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?)(?: (?P<sector>[0-9]))?$")


def _place_ids_in(incidents: QuerySet[Incident]) -> QuerySet:
    return incidents.filter(place_record__isnull=False).values("place_record_id")


def place_records_visible_to(
    *, reader: Reader, at_least: str = Level.DEPERSONALISED
) -> QuerySet[PlaceRecord]:
    """Place records the reader may see at `at_least` or above (one query)."""
    return PlaceRecord.objects.filter(
        held_records_filter(
            reader,
            at_least,
            organisation_field="organisation_id",
            record_ids_in=_place_ids_in,
            subject_field="place_record",
        )
    )


def place_record_access(reader: Reader, record: PlaceRecord) -> tuple[Access, Appearance | None]:
    """How the reader may see one place record, and the incident that allows it."""
    return held_record_access(
        reader,
        organisation_id=record.organisation_id,
        subject_field="place_record",
        record_id=record.pk,
        incidents_with=lambda incidents: incidents.filter(place_record=record),
    )


def postcode_matches(text: str) -> Q:
    """Places with this postcode (written any way), or in this sector ("KY1 1") or district
    ("KY1"); ValueError, with a message fit for a user, for anything else."""
    try:
        return Q(postcode=postcode_normalise(text))
    except ValueError:
        pass
    match = _SECTOR.match(" ".join(text.upper().split()))
    if not match:
        raise ValueError(
            f"{text.strip()!r} is not a postcode or the start of one (like KY1 1AA or KY1 1)"
        )
    if match["sector"]:
        return Q(postcode__startswith=f"{match['outward']} {match['sector']}")
    return Q(postcode__startswith=f"{match['outward']} ")


def _address_matches(text: str) -> Q | None:
    """Places whose address holds every word of the text, each as the start of a word of the
    address ("12 high" finds "12 High Street"); None when the text holds no letters or digits."""
    words = address_key(text).split()
    if not words:
        return None
    condition = Q()
    for word in words:
        condition &= Q(address_key__startswith=word) | Q(address_key__contains=f" {word}")
    return condition


def _uprn(text: str) -> str:
    text = text.strip()
    return str(int(text)) if text.isdigit() else text


def _searchable(reader: Reader) -> QuerySet[PlaceRecord]:
    return place_records_visible_to(reader=reader, at_least=Level.PERSONAL)


def place_search(
    *,
    reader: Reader,
    text: str | None = None,
    postcode: str | None = None,
    uprn: str | None = None,
    limit: int = 50,
) -> list[PlaceRecord]:
    """Place records the reader may see in full that match every criterion given; nothing
    when no criterion is given. ValueError for a postcode that is not one (nor its start). A
    record the reader may see only depersonalised, or not at all, is never matched."""
    queryset = _searchable(reader)
    asked = False
    if text and text.strip():
        words = _address_matches(text)
        if words is None:
            return []
        queryset, asked = queryset.filter(words), True
    if postcode and postcode.strip():
        queryset, asked = queryset.filter(postcode_matches(postcode)), True
    if uprn and uprn.strip():
        queryset, asked = queryset.filter(uprn=_uprn(uprn)), True
    if not asked:
        return []
    return list(queryset.select_related("organisation").order_by("address_key", "pk")[:limit])


def place_choices(
    *, reader: Reader, organisation_id: int | None, text: str, limit: int = 10
) -> list[PlaceRecord]:
    """The reader's own organisation's places whose address, postcode or UPRN `text` names,
    for picking where an incident happened: an incident may point only at its owner's
    records."""
    if organisation_id is None or organisation_id != reader.organisation_id:
        return []
    condition = _address_matches(text or "")
    if condition is None:
        return []
    with contextlib.suppress(ValueError):  # not a postcode: the address words still count
        condition |= postcode_matches(text)
    if text.strip().isdigit():
        condition |= Q(uprn=_uprn(text))
    return list(
        _searchable(reader)
        .filter(organisation_id=organisation_id)
        .filter(condition)
        .select_related("organisation")
        .order_by("address_key", "pk")[:limit]
    )


def place_record_visible_to(
    *, reader: Reader, record_id: int
) -> tuple[PlaceRecord, Access, Appearance | None]:
    """One place record, the reader's access to it and the incident that grants it (None for
    the owner); PlaceRecord.DoesNotExist when the reader may not see it at depersonalised or
    above (a page answers 404, as for a record that does not exist)."""
    record = (
        place_records_visible_to(reader=reader)
        .select_related("organisation")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise PlaceRecord.DoesNotExist(record_id)
    access, incident = place_record_access(reader, record)
    if access.rank < RANK[Level.DEPERSONALISED]:
        raise PlaceRecord.DoesNotExist(record_id)
    return record, access, incident


def place_record_incidents(
    *, reader: Reader, record: PlaceRecord, limit: int = 50
) -> tuple[list[Incident], int, bool]:
    """The incidents at the place that the reader may list, newest first (each to be shown at
    its own level), with how many there are and whether that count is exact."""
    visible = incidents_visible_to(reader=reader, filters=IncidentFilters()).filter(
        place_record=record
    )
    count, exact = count_up_to(visible)
    return with_details(visible[:limit]), count, exact


def place_records_access(
    *, reader: Reader, records: list[PlaceRecord]
) -> list[tuple[PlaceRecord, Access, Appearance | None]]:
    """Each record with the reader's access to it and the incident that grants it (for the
    audit trail of a search)."""
    return [(record, *place_record_access(reader, record)) for record in records]


def place_record_history(*, reader: Reader, record: PlaceRecord) -> list[PlaceRecordRevision]:
    """The record's revisions, newest first: its owner's business, so nobody else's."""
    if record.organisation_id != reader.organisation_id or owner_level(reader) != Level.PERSONAL:
        return []
    return list(record.revisions.select_related("changed_by"))


def data_zone_of(record: PlaceRecord) -> DataZone | None:
    """The data zone a place resolved to, with its deprivation figures, when the reference
    data holds it."""
    if not record.data_zone:
        return None
    return DataZone.objects.filter(code=record.data_zone).first()


def place_record_ids_by_reference(
    organisation_id: int | None, references: list[str]
) -> dict[str, int]:
    """The organisation's own place records by its references: how a partner system names
    them when it points an incident at them (an organisation always sees its own records)."""
    if organisation_id is None or not references:
        return {}
    return dict(
        PlaceRecord.objects.filter(
            organisation_id=organisation_id, source_ref__in=set(references)
        ).values_list("source_ref", "pk")
    )
