"""Reading person records, always through the sharing engine (saferhub.incidents.appearances)."""

from django.db.models import QuerySet

from saferhub.incidents.appearances import held_record_access, held_records_filter
from saferhub.incidents.models import Incident, IncidentPerson
from saferhub.people.models import PersonRecord
from saferhub.sharing.engine import Access, Reader
from saferhub.sharing.models import Level


def _person_ids_in(incidents: QuerySet[Incident]) -> QuerySet:
    return IncidentPerson.objects.filter(
        incident__in=incidents, person_record__isnull=False
    ).values("person_record_id")


def person_records_visible_to(
    *, reader: Reader, at_least: str = Level.DEPERSONALISED
) -> QuerySet[PersonRecord]:
    """Person records the reader may see at `at_least` or above (one query)."""
    return PersonRecord.objects.filter(
        held_records_filter(
            reader, at_least, organisation_field="organisation_id", record_ids_in=_person_ids_in
        )
    )


def person_record_access(reader: Reader, record: PersonRecord) -> tuple[Access, Incident | None]:
    """How the reader may see one person record, and the incident that allows it."""
    return held_record_access(
        reader,
        organisation_id=record.organisation_id,
        incidents_with=lambda incidents: incidents.filter(people__person_record=record),
    )
