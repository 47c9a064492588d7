"""Reading the audit trail of a partnership: searching it, and one person's disclosures."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.partnerships.models import Organisation, Partnership


@dataclass(frozen=True)
class EventFilters:
    actor_username: str = ""
    actor_organisation: str = ""
    action: str = ""
    record_type: str = ""
    record_id: int | None = None
    owner_code: str = ""
    occurred_from: datetime.date | None = None
    occurred_to: datetime.date | None = None
    # Pages after the first stay as they were, whatever has been recorded since.
    up_to_sequence: int | None = None


def events_of_partnership(
    *, partnership: Partnership, filters: EventFilters | None = None
) -> QuerySet[AuditEvent]:
    """The partnership's events that match every filter given, newest first."""
    filters = filters or EventFilters()
    events = AuditEvent.objects.filter(partnership_code=partnership.code)
    exact = {
        "actor_username": filters.actor_username,
        "actor_organisation": filters.actor_organisation,
        "action": filters.action,
        "record_type": filters.record_type,
        "record_id": filters.record_id,
        "owner_code": filters.owner_code,
    }
    events = events.filter(**{name: value for name, value in exact.items() if value})
    # Whole days in the hub's time zone, as bounds on the indexed column itself.
    if filters.occurred_from:
        events = events.filter(occurred_at__gte=_start_of(filters.occurred_from))
    if filters.occurred_to:
        next_day = filters.occurred_to + datetime.timedelta(days=1)
        events = events.filter(occurred_at__lt=_start_of(next_day))
    if filters.up_to_sequence:
        events = events.filter(sequence__lte=filters.up_to_sequence)
    return events.order_by("-sequence")


def subject_key_of(
    *, partnership: Partnership, given_name: str, family_name: str, date_of_birth: datetime.date
) -> str:
    """The key under which the audit trail knows a person of this partnership."""
    # Imported here: the sharing app's pseudonyms are written separately from the audit trail.
    from saferhub.sharing.pseudonyms import subject_key

    return subject_key(
        partnership_code=partnership.code,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
    )


def events_about_subject(*, partnership: Partnership, subject_key: str) -> QuerySet[AuditEvent]:
    """Every event of the partnership about the person with this key, oldest first."""
    return AuditEvent.objects.filter(
        partnership_code=partnership.code, subjects__subject_key=subject_key
    ).order_by("sequence")


def organisation_names(codes: set[str]) -> dict[str, str]:
    return dict(Organisation.objects.filter(code__in=codes).values_list("code", "name"))


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
