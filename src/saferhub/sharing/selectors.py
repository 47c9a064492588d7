"""Reading protocols, and what one organisation may see of another's records under them.

Protocols are partnership set-up, not personal data: every member of a partnership may read them.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from saferhub.partnerships.models import Organisation, Partnership, Theme, User
from saferhub.sharing import engine
from saferhub.sharing.models import EmergencyDisclosure, EmergencyReview, Protocol, Purpose


def protocol_of_partnership(*, partnership: Partnership, code: str, version: int) -> Protocol:
    """One version, with what its page shows; Protocol.DoesNotExist if the partnership has none."""
    return (
        Protocol.objects.filter(partnership=partnership, code=code, version=version)
        .select_related("partnership")
        .prefetch_related("themes", "signings__organisation", "signings__signed_by")
        .get()
    )


def versions_of_protocol(*, partnership: Partnership, code: str) -> list[Protocol]:
    """Every version of one protocol, newest first."""
    return list(
        Protocol.objects.filter(partnership=partnership, code=code)
        .prefetch_related("signings")
        .order_by("-version")
    )


def protocol_code_taken(*, partnership: Partnership, code: str) -> bool:
    return Protocol.objects.filter(partnership=partnership, code=code).exists()


def themes_for_protocols(*, partnership: Partnership) -> QuerySet[Theme]:
    """The standard themes and the partnership's own, by name."""
    return Theme.objects.filter(Q(partnership__isnull=True) | Q(partnership=partnership)).order_by(
        "name", "code"
    )


def member_organisations(*, partnership: Partnership) -> QuerySet[Organisation]:
    """The partnership's member organisations, by name: who may sign its protocols."""
    return Organisation.objects.filter(memberships__partnership=partnership).order_by("name")


def reader_for_organisation(
    *, organisation: Organisation, partnership: Partnership, purpose: str, day: datetime.date
) -> engine.Reader:
    """A reader standing for anyone in `organisation` whose role shows people, on `day`.

    Built the way `engine.reader_for` builds a user's reader, but from the organisation's
    signatures alone: what the organisation may see, whoever in it is asking.
    """
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    found = (
        Protocol.objects.active_on(day)
        .filter(partnership=partnership, signatories=organisation)
        .filter(**{f"for_{purpose}": True})
    )
    protocols = engine.best_first(engine.protocol_terms(found))
    noon = datetime.datetime.combine(day, datetime.time(12))
    return engine.Reader(
        # Never saved: the engine needs a user only for emergency disclosures, which are
        # a person's, not an organisation's.
        user=User(username=f"anyone-at-{organisation.code}", organisation=organisation),
        organisation_id=organisation.id,
        purpose=purpose,
        now=timezone.make_aware(noon),
        partnerships=frozenset({partnership.id}),
        personal_partnerships=frozenset({partnership.id}),
        protocols=protocols,
    )


@dataclass(frozen=True)
class SharingCell:
    theme: Theme
    purpose: str
    relevant_partner: bool
    access: engine.Access


def sharing_between_organisations(
    *,
    partnership: Partnership,
    reader: Organisation,
    owner: Organisation,
    day: datetime.date,
) -> list[SharingCell]:
    """What `reader` may see of a record `owner` holds, for each theme and purpose.

    Each record is not restricted and has a single theme; each is decided twice, with the
    reader named on it as a relevant partner and without.
    """
    themes = list(themes_for_protocols(partnership=partnership))
    cells = []
    for purpose in Purpose.values:
        reader_terms = reader_for_organisation(
            organisation=reader, partnership=partnership, purpose=purpose, day=day
        )
        for theme in themes:
            for relevant_partner in (True, False):
                access = engine.decide(
                    reader_terms,
                    partnership_id=partnership.id,
                    owner_id=owner.id,
                    theme_ids={theme.id},
                    restricted=False,
                    relevant_partner_ids={reader.id} if relevant_partner else set(),
                )
                cells.append(SharingCell(theme, purpose, relevant_partner, access))
    return cells


def emergency_disclosures_for_review(*, user: User, partnership: Partnership):
    """Emergency disclosures of the records the user's organisation owns in a partnership:
    waiting for review first, then the most recent reviewed ones."""
    about_ours = EmergencyDisclosure.objects.filter(
        incident__partnership=partnership, incident__owner_id=user.organisation_id
    ).select_related("user", "user__organisation", "incident", "reviewed_by")
    pending = list(about_ours.filter(review=EmergencyReview.PENDING).order_by("starts_at"))
    reviewed = list(
        about_ours.exclude(review=EmergencyReview.PENDING).order_by("-reviewed_at")[:50]
    )
    return pending, reviewed
