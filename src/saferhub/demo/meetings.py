"""Demo MATAC meetings: two held meetings and one to come, made through the meetings services.

Going through the services (not straight to the tables) means the demo's meetings are ones a
coordinator could have made: proposals come from the data the coordinator may see, actions go
through the actions app, and the second meeting carries the first one's actions.
"""

import datetime
import random

from django.db import transaction
from django.db.models import Case, When

from saferhub.actions.services import ActionInput
from saferhub.meetings.models import Meeting
from saferhub.meetings.services import (
    MeetingInput,
    agenda_item_add,
    agenda_propose,
    attendance_record,
    item_action_add,
    item_discussion_record,
    meeting_close,
    meeting_mark_held,
    meeting_schedule,
    minutes_save,
)
from saferhub.partnerships.models import (
    Membership,
    OrganisationKind,
    Partnership,
    RoleAssignment,
    User,
)
from saferhub.partnerships.themes import ThemeBook

# Written without names: minutes and hand-written items go to every invited organisation.
HAND_ITEMS = [
    ("Partnership updates", "Staffing changes and the winter rota."),
    ("Bonfire night review", "What went well, and what to change next year."),
]
DECISIONS = [
    ("Third report this period; partners agree a joint approach.", "Joint visit within a week."),
    ("Risk remains high; the lead agency will review support.", "Refer for a safety visit."),
]
ACTIONS = ["Arrange a joint visit and report back", "Check fire safety at the address"]
MINUTES = (
    "Quorate. Partners reviewed the proposed items and the actions from the last meeting; "
    "decisions are recorded against each item."
)


def _coordinator(partnership: Partnership) -> User | None:
    """The partnership's hub coordinator: the demo's own (README) when it works there, else a
    council coordinator (the community safety team runs MATAC), else the first by username."""
    found = (
        RoleAssignment.objects.filter(
            partnership=partnership, role="coordinator", user__organisation__isnull=False
        )
        .select_related("user__organisation")
        .annotate(
            council=Case(
                When(user__username="demo.coordinator", then=0),
                When(user__organisation__kind=OrganisationKind.LOCAL_AUTHORITY, then=1),
                default=2,
            )
        )
        .order_by("council", "user__username")
        .first()
    )
    return found.user if found else None


def _held(
    *,
    coordinator: User,
    partnership: Partnership,
    starts_at: datetime.datetime,
    invited: list[str],
    rng: random.Random,
    hand_item: tuple[str, str],
) -> Meeting:
    meeting = meeting_schedule(
        user=coordinator,
        partnership=partnership,
        data=MeetingInput(
            starts_at=starts_at,
            title="MATAC meeting",
            location="Partnership office",
            invited_organisations=invited,
        ),
    )
    agenda_propose(user=coordinator, meeting=meeting)
    agenda_item_add(user=coordinator, meeting=meeting, title=hand_item[0], summary=hand_item[1])
    for code in invited:
        people = list(
            User.objects.filter(organisation__code=code, role_assignments__partnership=partnership)
            .distinct()
            .order_by("username")[:2]
        )
        for person in people:
            attendance_record(
                user=coordinator,
                meeting=meeting,
                organisation=code,
                name=person.name or person.username,
                present=rng.choice(["present", "present", "present", "apologies"]),
            )
    book = ThemeBook.of(partnership)
    theme = "asb" if "asb" in book.by_code else next(iter(book.by_code))
    others = [code for code in invited if code != coordinator.organisation.code] or invited
    items = list(meeting.items.filter(proposed=True).order_by("position")[: len(DECISIONS)])
    for item, (discussion, decision), title in zip(items, DECISIONS, ACTIONS, strict=False):
        item_discussion_record(
            user=coordinator, item=item, discussion=discussion, decision=decision
        )
        item_action_add(
            user=coordinator,
            item=item,
            data=ActionInput(
                title=title,
                assignee_organisation=rng.choice(others),
                due_on=starts_at.date() + datetime.timedelta(days=10),
                themes=[theme],
            ),
        )
    minutes_save(user=coordinator, meeting=meeting, minutes=MINUTES)
    meeting_mark_held(user=coordinator, meeting=meeting)
    meeting_close(user=coordinator, meeting=meeting)
    return meeting


@transaction.atomic
def demo_meetings_load(*, partnership: Partnership, seed: int, now: datetime.datetime) -> int:
    """Make the partnership's demo meetings, unless it has meetings already; return how many
    were made. Needs a coordinator in the partnership (the demo files have one)."""
    if Meeting.objects.filter(partnership=partnership).exists():
        return 0
    coordinator = _coordinator(partnership)
    if coordinator is None:
        return 0
    rng = random.Random(f"{seed}-{partnership.code}-meetings")
    invited = sorted(
        Membership.objects.filter(partnership=partnership).values_list(
            "organisation__code", flat=True
        )
    )
    at_ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
    made = []
    for weeks_ago, hand_item in zip((4, 2), HAND_ITEMS, strict=True):
        made.append(
            _held(
                coordinator=coordinator,
                partnership=partnership,
                starts_at=at_ten - datetime.timedelta(weeks=weeks_ago),
                invited=invited,
                rng=rng,
                hand_item=hand_item,
            )
        )
    upcoming = meeting_schedule(
        user=coordinator,
        partnership=partnership,
        data=MeetingInput(
            starts_at=at_ten + datetime.timedelta(weeks=1),
            title="MATAC meeting",
            location="Partnership office",
            invited_organisations=invited,
        ),
    )
    agenda_propose(user=coordinator, meeting=upcoming)
    made.append(upcoming)
    return len(made)
