"""Reading person records, always through the sharing engine (saferhub.incidents.appearances).

Searching looks only at records the reader may see at `personal`: matching a depersonalised
record by a name, a date of birth or a CHI number would tell the reader whose pseudonym it is.
"""

import datetime

from django.db.models import Q, QuerySet
from django.db.models.functions import Concat

from saferhub.incidents.appearances import (
    Appearance,
    held_record_access,
    held_records_filter,
    owner_level,
)
from saferhub.incidents.models import Incident, IncidentPerson
from saferhub.incidents.selectors import (
    IncidentFilters,
    count_up_to,
    incidents_visible_to,
    with_details,
)
from saferhub.people.identifiers import chi_number_normalise, name_key
from saferhub.people.models import DatePrecision, PersonRecord, PersonRecordRevision
from saferhub.sharing.engine import RANK, Access, Reader
from saferhub.sharing.models import Level

# A date of birth to match: a date known to the day, or (date, precision) from partial_date.
BirthDate = datetime.date | tuple[datetime.date, str]


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
            reader,
            at_least,
            organisation_field="organisation_id",
            record_ids_in=_person_ids_in,
            subject_field="person_record",
        )
    )


def person_record_access(reader: Reader, record: PersonRecord) -> tuple[Access, Appearance | None]:
    """How the reader may see one person record, and the incident that allows it."""
    return held_record_access(
        reader,
        organisation_id=record.organisation_id,
        subject_field="person_record",
        record_id=record.pk,
        incidents_with=lambda incidents: incidents.filter(people__person_record=record),
    )


def _name_matches(text: str) -> Q | None:
    """Records whose names the text names: the whole text folded as the start of given then
    family name or family then given, or every word the start of a given, family or other
    name ("m haddow", "haddow marg", "maggie"). None when the text holds no letters."""
    words = [key for key in (name_key(word) for word in text.split()) if key]
    if not words:
        return None
    whole = "".join(words)
    condition = Q(given_family__startswith=whole) | Q(family_given__startswith=whole)
    condition |= Q(other_keys__contains=f" {whole}")
    every_word = Q()
    for word in words:
        every_word &= (
            Q(given_key__startswith=word)
            | Q(family_key__startswith=word)
            | Q(other_keys__contains=f" {word}")
        )
    return condition | every_word


def _with_name_keys(queryset: QuerySet[PersonRecord]) -> QuerySet[PersonRecord]:
    return queryset.annotate(
        given_family=Concat("given_key", "family_key"),
        family_given=Concat("family_key", "given_key"),
    )


def _period(value: datetime.date, precision: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of what a partial date knows."""
    if precision == DatePrecision.YEAR:
        return value.replace(month=1, day=1), value.replace(month=12, day=31)
    if precision == DatePrecision.MONTH:
        start = value.replace(day=1)
        following = (start + datetime.timedelta(days=32)).replace(day=1)
        return start, following - datetime.timedelta(days=1)
    return value, value


def born_on(date_of_birth: BirthDate) -> Q:
    """Records whose date of birth could be this one: a full date matches a record known
    only to its month or year, and a year matches every record born in it."""
    if isinstance(date_of_birth, tuple):
        value, precision = date_of_birth
    else:
        value, precision = date_of_birth, DatePrecision.DAY
    start, end = _period(value, precision)
    # Calendar days, months and years nest: two partial dates agree when one holds the other,
    # that is when the record's first day lies between the first day of the asked date's
    # period at the record's precision and the asked date's last day.
    return (
        (
            Q(date_of_birth_precision__in=[DatePrecision.DAY, ""])
            & Q(date_of_birth__gte=start, date_of_birth__lte=end)
        )
        | (
            Q(date_of_birth_precision=DatePrecision.MONTH)
            & Q(date_of_birth__gte=start.replace(day=1), date_of_birth__lte=end)
        )
        | (
            Q(date_of_birth_precision=DatePrecision.YEAR)
            & Q(date_of_birth__gte=start.replace(month=1, day=1), date_of_birth__lte=end)
        )
    )


def _searchable(reader: Reader) -> QuerySet[PersonRecord]:
    return _with_name_keys(person_records_visible_to(reader=reader, at_least=Level.PERSONAL))


def person_search(
    *,
    reader: Reader,
    text: str | None = None,
    date_of_birth: BirthDate | None = None,
    chi: str | None = None,
    limit: int = 50,
) -> list[PersonRecord]:
    """Person records the reader may see in full that match every criterion given, by family
    then given name; nothing when no criterion is given. A record the reader may see only
    depersonalised, or not at all, is never matched, so it cannot change the results."""
    queryset = _searchable(reader)
    asked = False
    if text and text.strip():
        names = _name_matches(text)
        if names is None:
            return []
        queryset, asked = queryset.filter(names), True
    if date_of_birth is not None:
        queryset, asked = queryset.filter(born_on(date_of_birth)), True
    if chi and chi.strip():
        queryset, asked = queryset.filter(chi_number=chi_number_normalise(chi)), True
    if not asked:
        return []
    return list(
        queryset.select_related("organisation").order_by("family_key", "given_key", "pk")[:limit]
    )


def person_choices(
    *, reader: Reader, organisation_id: int | None, text: str, limit: int = 10
) -> list[PersonRecord]:
    """The reader's own organisation's records matching `text`, for picking the person an
    incident is about: an incident may point only at its owner's records."""
    if organisation_id is None or organisation_id != reader.organisation_id:
        return []
    names = _name_matches(text or "")
    if names is None:
        return []
    return list(
        _searchable(reader)
        .filter(organisation_id=organisation_id)
        .filter(names)
        .select_related("organisation")
        .order_by("family_key", "given_key", "pk")[:limit]
    )


def people_already_known(
    *,
    reader: Reader,
    given_name: str,
    family_name: str,
    date_of_birth: BirthDate | None,
) -> list[PersonRecord]:
    """Records of the reader's own organisation with the same names, folded (either way
    round, as names are often swapped), and a date of birth that could be the same; with no
    date of birth, the names alone. For the warning "you may already hold this person"."""
    given, family = name_key(given_name or ""), name_key(family_name or "")
    if not given and not family:
        return []
    queryset = person_records_visible_to(reader=reader, at_least=Level.PERSONAL).filter(
        Q(given_key=given, family_key=family) | Q(given_key=family, family_key=given),
        organisation_id=reader.organisation_id,
    )
    if date_of_birth is not None:
        queryset = queryset.filter(born_on(date_of_birth))
    return list(queryset.order_by("pk")[:20])


def person_record_visible_to(
    *, reader: Reader, record_id: int
) -> tuple[PersonRecord, Access, Appearance | None]:
    """One person record, the reader's access to it and the incident that grants it (None for
    the owner); PersonRecord.DoesNotExist when the reader may not see it at depersonalised or
    above (a page answers 404, as for a record that does not exist)."""
    record = (
        person_records_visible_to(reader=reader)
        .select_related("organisation")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise PersonRecord.DoesNotExist(record_id)
    access, incident = person_record_access(reader, record)
    if access.rank < RANK[Level.DEPERSONALISED]:
        raise PersonRecord.DoesNotExist(record_id)
    return record, access, incident


def person_record_incidents(
    *, reader: Reader, record: PersonRecord, limit: int = 50
) -> tuple[list[Incident], int, bool]:
    """The incidents the person appears in that the reader may list, newest first (each to be
    shown at its own level), with how many there are and whether that count is exact."""
    visible = incidents_visible_to(reader=reader, filters=IncidentFilters()).filter(
        pk__in=IncidentPerson.objects.filter(person_record=record).values("incident_id")
    )
    count, exact = count_up_to(visible)
    return with_details(visible[:limit]), count, exact


def person_records_access(
    *, reader: Reader, records: list[PersonRecord]
) -> list[tuple[PersonRecord, Access, Appearance | None]]:
    """Each record with the reader's access to it and the incident that grants it (for the
    audit trail of a search); a query or so for each record of another organisation."""
    return [(record, *person_record_access(reader, record)) for record in records]


def person_record_history(*, reader: Reader, record: PersonRecord) -> list[PersonRecordRevision]:
    """The record's revisions, newest first: its owner's business, so nobody else's."""
    if record.organisation_id != reader.organisation_id or owner_level(reader) != Level.PERSONAL:
        return []
    return list(record.revisions.select_related("changed_by"))


def person_record_ids_by_reference(
    organisation_id: int | None, references: list[str]
) -> dict[str, int]:
    """The organisation's own person records by its references: how a partner system names
    them when it points an incident at them (an organisation always sees its own records)."""
    if organisation_id is None or not references:
        return {}
    return dict(
        PersonRecord.objects.filter(
            organisation_id=organisation_id, source_ref__in=set(references)
        ).values_list("source_ref", "pk")
    )
