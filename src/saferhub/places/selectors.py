"""Reading place records, always through the sharing engine (saferhub.incidents.appearances)."""

from django.db.models import QuerySet

from saferhub.incidents.appearances import held_record_access, held_records_filter
from saferhub.incidents.models import Incident
from saferhub.places.models import PlaceRecord
from saferhub.sharing.engine import Access, Reader
from saferhub.sharing.models import Level


def _place_ids_in(incidents: QuerySet[Incident]) -> QuerySet:
    return incidents.filter(place_record__isnull=False).values("place_record_id")


def place_records_visible_to(
    *, reader: Reader, at_least: str = Level.DEPERSONALISED
) -> QuerySet[PlaceRecord]:
    """Place records the reader may see at `at_least` or above (one query)."""
    return PlaceRecord.objects.filter(
        held_records_filter(
            reader, at_least, organisation_field="organisation_id", record_ids_in=_place_ids_in
        )
    )


def place_record_access(reader: Reader, record: PlaceRecord) -> tuple[Access, Incident | None]:
    """How the reader may see one place record, and the incident that allows it."""
    return held_record_access(
        reader,
        organisation_id=record.organisation_id,
        incidents_with=lambda incidents: incidents.filter(place_record=record),
    )
