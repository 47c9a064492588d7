"""Demo daily briefings: the last seven days of a partnership, each published by its
coordinator with a short note and a task or two, so that the briefing pages have a history.

The notes hold no names or addresses (every reader sees them), as a coordinator's should.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from saferhub.actions.services import ActionInput
from saferhub.briefings.models import Briefing, BriefingStatus, MadeBy
from saferhub.briefings.services import briefing_make, briefing_task_add
from saferhub.partnerships.models import Membership, Partnership, Role, RoleAssignment, User
from saferhub.partnerships.themes import ThemeBook

DAYS = 7

NOTES = [
    "Quieter night overall. Keep an eye on the repeat locations listed below.",
    "Rise in youth disorder around the town centre after school; police and council "
    "wardens to coordinate patrols this evening.",
    "Two repeat victims flagged: partners with open referrals, please update them today.",
    "Fire service asks for home fire safety visit referrals for anyone flagged as living "
    "alone with limited mobility.",
    "Weekend covered. Noise complaints up; housing officers to follow up with tenancy letters.",
    "Overdue referrals are listed below: please accept or decline them today.",
    "Nothing out of the ordinary. Thank you all for the quick responses yesterday.",
]
TASKS = [
    ("Joint patrol at the repeat location at the top of the list", "police", ["asb"]),
    ("Offer a home fire safety visit to the flagged household", "fire", ["home_safety"]),
    ("Send a tenancy warning letter for the repeat noise address", "housing", ["asb"]),
    ("Check in with the repeat victim and update the referral", "council", ["asb"]),
]


def _coordinator(partnership: Partnership) -> User | None:
    """The partnership's demo coordinator (demo.coordinator), or else any coordinator."""
    roles = RoleAssignment.objects.filter(
        partnership=partnership, role=Role.COORDINATOR, user__organisation__isnull=False
    ).select_related("user")
    preferred = roles.filter(user__username="demo.coordinator").first()
    found = preferred or roles.order_by("user__username").first()
    return found.user if found else None


def _organisation_of_kind(partnership: Partnership, kind: str, fallback: str) -> str:
    kinds = {"police": "police", "fire": "fire", "housing": "housing", "council": "local_authority"}
    members = Membership.objects.filter(partnership=partnership).select_related("organisation")
    for membership in members.order_by("organisation__code"):
        if membership.organisation.kind == kinds[kind]:
            return membership.organisation.code
    return fallback


def demo_briefings_load(*, partnership: Partnership, seed: int, now: datetime.datetime) -> int:
    """Publish a briefing for each of the last seven days (today included) with notes and
    one or two tasks, unless the partnership has briefings already; return how many were
    made. Returns 0 when the partnership has no coordinator."""
    if Briefing.objects.filter(partnership=partnership).exists():
        return 0
    coordinator = _coordinator(partnership)
    if coordinator is None:
        return 0
    rng = random.Random(f"{seed}-{partnership.code}-briefings")
    book = ThemeBook.of(partnership)
    today = now.date()
    made = 0
    with transaction.atomic():
        for back in range(DAYS - 1, -1, -1):
            day = today - datetime.timedelta(days=back)
            briefing = briefing_make(partnership=partnership, for_date=day, made_by=MadeBy.SCHEDULE)
            briefing.notes = rng.choice(NOTES)
            briefing.save(update_fields=["notes"])
            own = coordinator.organisation.code
            for title, kind, themes in rng.sample(TASKS, rng.randint(1, 2)):
                briefing_task_add(
                    user=coordinator,
                    briefing=briefing,
                    data=ActionInput(
                        title=title,
                        assignee_organisation=_organisation_of_kind(partnership, kind, own),
                        due_on=day + datetime.timedelta(days=rng.randint(1, 5)),
                        themes=[t for t in themes if t in book.by_code] or ["asb"],
                    ),
                )
            # Published as history, not through briefing_publish: a week-old briefing is
            # not news, and loading the demo should not email every reader seven times.
            briefing.status = BriefingStatus.PUBLISHED
            briefing.published_by = coordinator
            briefing.published_at = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(8, rng.randint(0, 59)))
            )
            briefing.save(update_fields=["status", "published_by", "published_at"])
            made += 1
    return made
