"""Reading referrals, always through the sharing engine.

A referral is `personal` to the organisation that sent it and the one it was sent to; to
anyone else it follows the sharing rules with its own themes (DESIGN.md section 4). Referral
handling serves the `referral` purpose; briefings and meeting packs read referrals for
`tasking`, with a reader made for that purpose.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When

from saferhub.incidents.models import Incident
from saferhub.partnerships.models import ROLES_THAT_SEE_PERSONAL_DATA, Partnership, User
from saferhub.partnerships.themes import books_for
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.referrals.models import (
    OPEN_STATUSES,
    Referral,
    ReferralEvent,
    ReferralRelevantPartner,
)
from saferhub.sharing.engine import Access, Reader, RecordShape, decide, visibility_filter
from saferhub.sharing.models import Level

REFERRAL_SHAPE = RecordShape(
    theme_mask_field="theme_mask",
    relevant_partner_links=ReferralRelevantPartner,
    record_field="referral",
    recipient_field="recipient_id",
)


def referrals_at_least(reader: Reader, at_least: str) -> QuerySet[Referral]:
    """Every referral the reader may see at `at_least` or above, unordered (one filter)."""
    return Referral.objects.filter(visibility_filter(reader, REFERRAL_SHAPE, at_least))


def referral_access(reader: Reader, referral: Referral) -> Access:
    """How the reader may see one referral, and why (fetch it with its relevant partners)."""
    book = books_for({referral.partnership_id})[referral.partnership_id]
    return decide(
        reader,
        partnership_id=referral.partnership_id,
        owner_id=referral.owner_id,
        recipient_id=referral.recipient_id,
        theme_ids={theme.pk for theme in book.themes_in(referral.theme_mask)},
        restricted=referral.restricted,
        relevant_partner_ids={o.pk for o in referral.relevant_partners.all()},
    )


# The queues ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralFilters:
    status: str | None = None
    overdue_only: bool = False


def overdue_q(now: datetime.datetime) -> Q:
    """A filter: referrals still open after their due time. Briefings and meeting packs add
    it to `referrals_at_least(reader, level)`."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now)


def new_since_q(since: datetime.datetime) -> Q:
    """A filter: referrals sent at or after `since` (the last 24 hours of a briefing, say)."""
    return Q(sent_at__gte=since)


def is_overdue(referral: Referral, now: datetime.datetime) -> bool:
    """The same test as `overdue_q`, for one referral already in hand."""
    return referral.status in OPEN_STATUSES and referral.due_at < now


def with_overdue(queryset: QuerySet[Referral], now: datetime.datetime) -> QuerySet[Referral]:
    """Annotate `overdue` and put overdue referrals first, then the soonest due."""
    return queryset.annotate(
        overdue=Case(When(overdue_q(now), then=Value(True)), default=Value(False))
    ).order_by("-overdue", "due_at", "-id")


def _queue(
    reader: Reader, partnership: Partnership, filters: ReferralFilters, side: Q
) -> QuerySet[Referral]:
    queryset = referrals_at_least(reader, Level.DEPERSONALISED).filter(
        side, partnership=partnership
    )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue_only:
        queryset = queryset.filter(overdue_q(reader.now))
    return with_overdue(queryset, reader.now).select_related(
        "partnership", "owner", "recipient", "referral_type", "assigned_to"
    )


def referrals_received(
    reader: Reader, partnership: Partnership, filters: ReferralFilters = ReferralFilters()
) -> QuerySet[Referral]:
    """The reader's organisation's queue: referrals sent to it, overdue first."""
    return _queue(reader, partnership, filters, Q(recipient_id=reader.organisation_id))


def referrals_sent(
    reader: Reader, partnership: Partnership, filters: ReferralFilters = ReferralFilters()
) -> QuerySet[Referral]:
    """Referrals the reader's organisation sent, overdue first."""
    return _queue(reader, partnership, filters, Q(owner_id=reader.organisation_id))


def referrals_shared(
    reader: Reader, partnership: Partnership, filters: ReferralFilters = ReferralFilters()
) -> QuerySet[Referral]:
    """Referrals between two other organisations that a protocol shares with the reader's."""
    return _queue(
        reader,
        partnership,
        filters,
        ~Q(owner_id=reader.organisation_id) & ~Q(recipient_id=reader.organisation_id),
    )


def with_details(queryset: QuerySet[Referral]) -> list[Referral]:
    """Fetch what showing referrals needs (partners, events, subject) in a few queries."""
    return list(
        queryset.select_related(
            "partnership",
            "owner",
            "recipient",
            "referral_type",
            "assigned_to",
            "protocol",
            "created_by",
            "person_record",
            "place_record",
            "incident",
        ).prefetch_related(
            "relevant_partners",
            Prefetch(
                "events",
                queryset=ReferralEvent.objects.select_related("by", "by_organisation").order_by(
                    "at", "pk"
                ),
            ),
            "person_record__addresses",
            "incident__people",
        )
    )


def referral_visible_to(*, reader: Reader, referral_id: int) -> tuple[Referral, Access]:
    """One referral and the reader's access to it; Referral.DoesNotExist unless the reader
    may see it at depersonalised or above (a page answers 404, as for no referral at all)."""
    found = with_details(referrals_at_least(reader, Level.DEPERSONALISED).filter(pk=referral_id))
    if not found:
        raise Referral.DoesNotExist(referral_id)
    return found[0], referral_access(reader, found[0])


def referral_counts(reader: Reader, partnership: Partnership) -> dict[str, int]:
    """How many of the reader's organisation's referrals are open and overdue, each side."""
    now = reader.now
    visible = referrals_at_least(reader, Level.DEPERSONALISED).filter(partnership=partnership)
    mine = reader.organisation_id
    return {
        "received_open": visible.filter(recipient_id=mine, status__in=OPEN_STATUSES).count(),
        "received_overdue": visible.filter(overdue_q(now), recipient_id=mine).count(),
        "sent_open": visible.filter(owner_id=mine, status__in=OPEN_STATUSES).count(),
        "sent_overdue": visible.filter(overdue_q(now), owner_id=mine).count(),
    }


# The subject of a new referral: the referrer's own records only ---------------------------


def own_person_record(*, organisation_id: int, record_id: int) -> PersonRecord:
    """PersonRecord.DoesNotExist unless the organisation holds it."""
    return PersonRecord.objects.prefetch_related("addresses").get(
        pk=record_id, organisation_id=organisation_id
    )


def own_place_record(*, organisation_id: int, record_id: int) -> PlaceRecord:
    return PlaceRecord.objects.get(pk=record_id, organisation_id=organisation_id)


def own_incident(*, organisation_id: int, partnership: Partnership, incident_id: int) -> Incident:
    """Incident.DoesNotExist unless the organisation recorded it in the partnership."""
    return (
        Incident.objects.prefetch_related("people")
        .select_related("partnership", "owner")
        .get(pk=incident_id, owner_id=organisation_id, partnership=partnership)
    )


def recipient_staff(*, referral: Referral) -> list[User]:
    """Who in the receiving organisation a referral may be assigned to."""
    return list(
        User.objects.filter(
            organisation_id=referral.recipient_id,
            is_active=True,
            role_assignments__partnership_id=referral.partnership_id,
            role_assignments__role__in=list(ROLES_THAT_SEE_PERSONAL_DATA),
        )
        .distinct()
        .order_by("name", "username")
    )


# Published counts below this are suppressed, so that no one can be picked out of a figure.
SUPPRESS_BELOW = 5


def referral_totals(reader: Reader, partnership: Partnership) -> dict[str, int | None]:
    """Open and overdue referrals of the partnership the reader may count (`aggregate` or
    above, so a manager sees figures too); a figure under SUPPRESS_BELOW is None."""
    visible = referrals_at_least(reader, Level.AGGREGATE).filter(partnership=partnership)
    totals = {
        "open": visible.filter(status__in=OPEN_STATUSES).count(),
        "overdue": visible.filter(overdue_q(reader.now)).count(),
    }
    return {name: (n if n >= SUPPRESS_BELOW or n == 0 else None) for name, n in totals.items()}
