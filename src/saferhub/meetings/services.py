"""Running a MATAC meeting: scheduling, the agenda, attendance, decisions, actions, minutes.

Every function takes the acting user and checks their role itself, so the pages, the demo and
the command line cannot change a meeting in a way the others would refuse. Proposals from the
data read as the coordinator (tasking purpose) through each app's `*_at_least` selector: the
coordinator never puts on the agenda a record they could not see themselves.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from saferhub.actions.models import OPEN_STATUSES as ACTION_OPEN
from saferhub.actions.models import Action
from saferhub.actions.selectors import actions_at_least
from saferhub.actions.services import ActionInput, ActionInvalid, action_create
from saferhub.cases.models import Rag, Stage
from saferhub.cases.selectors import cases_at_least
from saferhub.hub.notifications import notify_by_email, partnership_users_of
from saferhub.incidents.models import IncidentPerson
from saferhub.incidents.selectors import incidents_at_least
from saferhub.linkage.models import RecordLink
from saferhub.meetings.models import (
    AgendaItem,
    Attendance,
    Invitation,
    ItemKind,
    Meeting,
    MeetingStatus,
)
from saferhub.partnerships.models import Membership, Partnership, Role, User
from saferhub.partnerships.selectors import roles_of_user
from saferhub.referrals.models import Urgency
from saferhub.referrals.selectors import referrals_at_least
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Level, Purpose

# How far back a partnership's first meeting looks when nobody says.
FIRST_PERIOD_DAYS = 28
# How many proposals of each kind: a meeting has about two hours.
PROPOSALS_PER_KIND = 5


class MeetingInvalid(Exception):
    """The change cannot be made; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class MeetingInput:
    starts_at: datetime.datetime | None
    title: str = "MATAC meeting"
    location: str = ""
    # Blank: from the day after the partnership's last meeting (or four weeks back) to the
    # day before this one.
    period_from: datetime.date | None = None
    period_to: datetime.date | None = None
    invited_organisations: list[str] = field(default_factory=list)  # organisation codes
    invited_people: list[str] = field(default_factory=list)  # usernames


def _unprintable(errors: dict[str, str], **fields: str) -> None:
    # A NUL character cannot be stored in PostgreSQL text; refuse it rather than fail later.
    for name, value in fields.items():
        if "\x00" in value and name not in errors:
            errors[name] = "Remove the control characters from this text"


def is_coordinator(*, user: User, partnership: Partnership) -> bool:
    return Role.COORDINATOR in roles_of_user(user=user, partnership=partnership)


def _require_coordinator(user: User, partnership: Partnership) -> None:
    if not is_coordinator(user=user, partnership=partnership):
        raise MeetingInvalid({"user": "Only a coordinator of this partnership can do this"})


def _members(partnership: Partnership) -> dict:
    return {
        m.organisation.code: m.organisation
        for m in Membership.objects.filter(partnership=partnership).select_related("organisation")
    }


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The partnership's meeting before this one (by start time)."""
    return (
        Meeting.objects.filter(partnership_id=meeting.partnership_id)
        .filter(
            Q(starts_at__lt=meeting.starts_at) | Q(starts_at=meeting.starts_at, pk__lt=meeting.pk)
        )
        .order_by("-starts_at", "-pk")
        .first()
    )


def meeting_schedule(*, user: User, partnership: Partnership, data: MeetingInput) -> Meeting:
    """Schedule a meeting run by the user's organisation, inviting organisations and people.
    Raises MeetingInvalid naming each field that is wrong; nothing is saved then."""
    errors: dict[str, str] = {}
    if not is_coordinator(user=user, partnership=partnership):
        raise MeetingInvalid({"user": "Only a coordinator of this partnership can schedule"})
    title = data.title.strip()
    if not title:
        errors["title"] = "Give the meeting a title"
    elif len(title) > 200:
        errors["title"] = "Keep the title to 200 characters"
    if len(data.location.strip()) > 200:
        errors["location"] = "Keep the location to 200 characters"
    _unprintable(errors, title=data.title, location=data.location)
    if data.starts_at is None:
        errors["starts_at"] = "Say when the meeting starts"
    members = _members(partnership)
    unknown = [code for code in data.invited_organisations if code not in members]
    if unknown:
        errors["invited_organisations"] = (
            f"{', '.join(unknown)} is not a member organisation of this partnership"
        )
    elif not data.invited_organisations:
        errors["invited_organisations"] = "Invite at least one organisation"
    people = []
    for username in dict.fromkeys(data.invited_people):
        person = User.objects.filter(username=username, is_active=True).first()
        if person is None or not roles_of_user(user=person, partnership=partnership):
            errors["invited_people"] = f"{username} holds no role in this partnership"
            break
        people.append(person)
    period_from, period_to = data.period_from, data.period_to
    if data.starts_at is not None:
        day = timezone.localdate(data.starts_at)
        if period_to is None:
            period_to = day - datetime.timedelta(days=1)
        if period_from is None:
            last = (
                Meeting.objects.filter(partnership=partnership, starts_at__lt=data.starts_at)
                .order_by("-starts_at")
                .first()
            )
            period_from = (
                timezone.localdate(last.starts_at)
                if last
                else period_to - datetime.timedelta(days=FIRST_PERIOD_DAYS - 1)
            )
        if period_from > period_to:
            errors["period_from"] = "The period must start on or before the day it ends"
    if errors:
        raise MeetingInvalid(errors)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            partnership=partnership,
            title=title,
            starts_at=data.starts_at,
            location=data.location.strip(),
            period_from=period_from,
            period_to=period_to,
            chair=user,
            organiser_id=user.organisation_id,
            created_by=user,
        )
        codes = list(dict.fromkeys(data.invited_organisations))
        Invitation.objects.bulk_create(
            [Invitation(meeting=meeting, organisation=members[c]) for c in codes]
        )
        Invitation.objects.bulk_create(
            [Invitation(meeting=meeting, organisation_id=p.organisation_id, user=p) for p in people]
        )
    return meeting


def invited_organisation_ids(meeting: Meeting) -> set[int]:
    return set(meeting.invitations.values_list("organisation_id", flat=True))


# The agenda -----------------------------------------------------------------------------


def coordinator_reader(user: User, partnership: Partnership) -> Reader:
    return reader_in_partnership(reader_for(user, Purpose.TASKING), partnership.pk)


def _next_position(meeting: Meeting) -> int:
    return (meeting.items.aggregate(top=Max("position"))["top"] or 0) + 1


def _period_q(field_name: str, meeting: Meeting) -> Q:
    return Q(
        **{
            f"{field_name}__date__gte": meeting.period_from,
            f"{field_name}__date__lte": meeting.period_to,
        }
    )


def _repeats(counts: list[tuple[int, int]], field_name: str, partnership_id: int) -> list[int]:
    """The records that stand for the places (or people) with two incidents or more: records
    linked to one entity (saferhub.linkage) count together, and the entity is proposed as its
    record with the most incidents, so that each organisation sees it by that record's rules."""
    ids = [record_id for record_id, _ in counts]
    entity_of = dict(
        RecordLink.objects.filter(
            partnership_id=partnership_id, **{f"{field_name}__in": ids}
        ).values_list(field_name, "entity_id")
    )
    groups: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for record_id, n in counts:
        key = ("entity", entity_of[record_id]) if record_id in entity_of else ("record", record_id)
        groups.setdefault(key, []).append((n, record_id))
    repeats = []
    for members in groups.values():
        total = sum(n for n, _ in members)
        if total >= 2:
            best = min(members, key=lambda m: (-m[0], m[1]))
            repeats.append((-total, best[1]))
    return [record_id for _, record_id in sorted(repeats)[:PROPOSALS_PER_KIND]]


def proposals_for(*, reader: Reader, meeting: Meeting) -> list[tuple[str, str, int]]:
    """What the data suggests the meeting discusses, as (kind, record_type, record_id), in
    agenda order, each seen by `reader` at depersonalised or above."""
    partnership_id = meeting.partnership_id
    listed = Level.DEPERSONALISED
    today = timezone.localdate()
    found: list[tuple[str, str, int]] = []
    previous = previous_meeting(meeting)
    if previous is not None:
        carried = (
            actions_at_least(reader, listed)
            .filter(meeting=previous)
            .filter(Q(status__in=ACTION_OPEN) | Q(completed_at__gte=previous.starts_at))
            .order_by("due_on", "pk")
            .values_list("pk", flat=True)
        )
        found += [(ItemKind.CARRIED_ACTION, "action", pk) for pk in carried]
    incidents = incidents_at_least(reader, listed).filter(
        _period_q("occurred_at", meeting), partnership_id=partnership_id
    )
    places = (
        incidents.filter(place_record__isnull=False)
        .values_list("place_record_id")
        .annotate(n=Count("pk"))
    )
    found += [
        (ItemKind.REPEAT_LOCATION, "place_record", pk)
        for pk in _repeats(list(places), "place_record", partnership_id)
    ]
    victims = (
        IncidentPerson.objects.filter(
            incident__in=incidents.values("pk"), role="victim", person_record__isnull=False
        )
        .values_list("person_record_id")
        .annotate(n=Count("incident_id", distinct=True))
    )
    found += [
        (ItemKind.REPEAT_VICTIM, "person_record", pk)
        for pk in _repeats(list(victims), "person_record", partnership_id)
    ]
    cases = (
        cases_at_least(reader, listed)
        .filter(partnership_id=partnership_id, rag=Rag.RED)
        .exclude(stage=Stage.CLOSED)
        .order_by("opened_at", "pk")
        .values_list("pk", flat=True)
    )
    found += [(ItemKind.RED_CASE, "case", pk) for pk in cases]
    overdue = (
        actions_at_least(reader, listed)
        .filter(partnership_id=partnership_id, status__in=ACTION_OPEN, due_on__lt=today)
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )
    found += [(ItemKind.OVERDUE_ACTION, "action", pk) for pk in overdue]
    referrals = (
        referrals_at_least(reader, listed)
        .filter(_period_q("sent_at", meeting), partnership_id=partnership_id, urgency=Urgency.RED)
        .order_by("sent_at", "pk")
        .values_list("pk", flat=True)
    )
    found += [(ItemKind.HIGH_RISK_REFERRAL, "referral", pk) for pk in referrals]
    return found


def agenda_propose(*, user: User, meeting: Meeting) -> list[AgendaItem]:
    """Add to the agenda what the data suggests, as the coordinator sees it, after the items
    already there; a record already on the agenda is not added again. Returns the new items."""
    _require_coordinator(user, meeting.partnership)
    _require_open(meeting)
    reader = coordinator_reader(user, meeting.partnership)
    with transaction.atomic():
        taken = set(meeting.items.exclude(record_id=None).values_list("record_type", "record_id"))
        position = _next_position(meeting)
        added = []
        for kind, record_type, record_id in proposals_for(reader=reader, meeting=meeting):
            if (record_type, record_id) in taken:
                continue
            taken.add((record_type, record_id))
            added.append(
                AgendaItem(
                    meeting=meeting,
                    position=position,
                    kind=kind,
                    proposed=True,
                    record_type=record_type,
                    record_id=record_id,
                    added_by=user,
                )
            )
            position += 1
        AgendaItem.objects.bulk_create(added)
    return added


def _require_open(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CLOSED:
        raise MeetingInvalid(
            {"meeting": "The minutes are agreed: the meeting can no longer change"}
        )


def agenda_item_add(
    *, user: User, meeting: Meeting, title: str, summary: str = "", audience: list[str] = ()
) -> AgendaItem:
    """Add an item by hand. With `audience` (organisation codes) only those organisations'
    packs carry it; without, every invited organisation's."""
    _require_coordinator(user, meeting.partnership)
    _require_open(meeting)
    errors = {}
    title = title.strip()
    if not title:
        errors["title"] = "Give the item a heading"
    elif len(title) > 200:
        errors["title"] = "Keep the heading to 200 characters"
    _unprintable(errors, title=title, summary=summary)
    members = _members(meeting.partnership)
    outside = [code for code in audience if code not in members]
    if outside:
        errors["audience"] = f"{', '.join(outside)} is not a member organisation"
    if errors:
        raise MeetingInvalid(errors)
    with transaction.atomic():
        item = AgendaItem.objects.create(
            meeting=meeting,
            position=_next_position(meeting),
            kind=ItemKind.OTHER,
            title=title,
            summary=summary.strip(),
            added_by=user,
        )
        item.audience.set([members[c] for c in dict.fromkeys(audience)])
    return item


def agenda_item_remove(*, user: User, item: AgendaItem) -> None:
    _require_coordinator(user, item.meeting.partnership)
    _require_open(item.meeting)
    item.delete()


def agenda_item_move(*, user: User, item: AgendaItem, up: bool) -> None:
    """Swap the item with the one before it (up) or after it on the agenda."""
    _require_coordinator(user, item.meeting.partnership)
    _require_open(item.meeting)
    with transaction.atomic():
        items = list(item.meeting.items.select_for_update().order_by("position", "pk"))
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(items):
            return
        items[index], items[other] = items[other], items[index]
        for position, each in enumerate(items, start=1):
            if each.position != position:
                each.position = position
                each.save(update_fields=["position"])


def attendance_record(
    *,
    user: User,
    meeting: Meeting,
    organisation: str,
    name: str,
    present: str = Attendance.Present.PRESENT,
) -> Attendance:
    """Write down who came (or sent apologies) for an organisation; the same name again
    changes their entry."""
    _require_coordinator(user, meeting.partnership)
    _require_open(meeting)
    errors = {}
    members = _members(meeting.partnership)
    if organisation not in members:
        errors["organisation"] = "Choose a member organisation"
    name = name.strip()
    if not name:
        errors["name"] = "Give the person's name"
    elif len(name) > 200:
        errors["name"] = "Keep the name to 200 characters"
    _unprintable(errors, name=name)
    if present not in Attendance.Present.values:
        errors["present"] = "Say whether they were present, sent apologies or were absent"
    if errors:
        raise MeetingInvalid(errors)
    entry, _ = Attendance.objects.update_or_create(
        meeting=meeting,
        organisation=members[organisation],
        name=name,
        defaults={"present": present},
    )
    return entry


def item_discussion_record(
    *, user: User, item: AgendaItem, discussion: str, decision: str
) -> AgendaItem:
    """What was said and decided about an item. For an item about a record it goes only to
    organisations that see the record in full."""
    _require_coordinator(user, item.meeting.partnership)
    _require_open(item.meeting)
    errors: dict[str, str] = {}
    if not discussion.strip() and not decision.strip():
        errors["discussion"] = "Write what was discussed or decided"
    _unprintable(errors, discussion=discussion, decision=decision)
    if errors:
        raise MeetingInvalid(errors)
    item.discussion = discussion.strip()
    item.decision = decision.strip()
    item.save(update_fields=["discussion", "decision"])
    return item


def item_action_add(*, user: User, item: AgendaItem, data: ActionInput) -> Action:
    """Agree an action on an item: set through the actions app, so it appears in the actions
    lists; it belongs to the meeting and names the incident or referral the item is about."""
    _require_coordinator(user, item.meeting.partnership)
    _require_open(item.meeting)
    data.meeting_id = item.meeting_id
    data.case_id = data.briefing_id = None
    if item.record_type == "incident":
        data.incident_id = item.record_id
    elif item.record_type == "referral":
        data.referral_id = item.record_id
    try:
        return action_create(user=user, partnership=item.meeting.partnership, data=data)
    except ActionInvalid as exc:
        raise MeetingInvalid(exc.errors) from exc


def minutes_save(*, user: User, meeting: Meeting, minutes: str) -> Meeting:
    """The meeting's minutes, which go to every invited organisation: they name no one (what
    was said about a person belongs in that item's discussion)."""
    _require_coordinator(user, meeting.partnership)
    _require_open(meeting)
    errors: dict[str, str] = {}
    _unprintable(errors, minutes=minutes)
    if errors:
        raise MeetingInvalid(errors)
    meeting.minutes = minutes.strip()
    meeting.save(update_fields=["minutes"])
    return meeting


def meeting_mark_held(*, user: User, meeting: Meeting) -> Meeting:
    _require_coordinator(user, meeting.partnership)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise MeetingInvalid({"status": "Only a scheduled meeting can be marked as held"})
    meeting.status = MeetingStatus.HELD
    meeting.save(update_fields=["status"])
    return meeting


def meeting_close(*, user: User, meeting: Meeting) -> Meeting:
    """The minutes are agreed: the meeting can no longer change."""
    _require_coordinator(user, meeting.partnership)
    if meeting.status != MeetingStatus.HELD:
        raise MeetingInvalid({"status": "Mark the meeting as held before agreeing the minutes"})
    if not meeting.minutes:
        raise MeetingInvalid({"minutes": "Write the minutes before agreeing them"})
    meeting.status = MeetingStatus.CLOSED
    meeting.save(update_fields=["status"])
    return meeting


def packs_issue(*, user: User, meeting: Meeting) -> int:
    """Email each invited person, and the coordinators of each invited organisation, a link to
    their pack (a link only: the pack itself is read in the hub, where it is audited)."""
    _require_coordinator(user, meeting.partnership)
    people: dict[int, User] = {}
    for invitation in meeting.invitations.select_related("user"):
        if invitation.user is not None:
            people[invitation.user.pk] = invitation.user
        else:
            for person in partnership_users_of(
                organisation_id=invitation.organisation_id,
                partnership_id=meeting.partnership_id,
                roles=[Role.COORDINATOR, Role.PRACTITIONER],
            ):
                people[person.pk] = person
    return notify_by_email(
        users=people.values(),
        subject="Your MATAC meeting pack is ready",
        message=f"The pack for the meeting on {timezone.localtime(meeting.starts_at):%d %B %Y} "
        "is ready for your organisation.",
        path=f"/partnerships/{meeting.partnership.code}/meetings/{meeting.pk}/pack/",
    )
