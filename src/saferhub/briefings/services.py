"""Making, annotating and publishing daily briefings.

A briefing row holds only its window, the coordinator's notes and whether it is published;
what a reader sees in it is built for them by `saferhub.briefings.selectors`. So making a
briefing discloses nothing, and is cheap enough to do from a page.
"""

import dataclasses
import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from saferhub.actions.models import Action
from saferhub.actions.services import ActionInput, action_create
from saferhub.audit.services import audit_record, disclosure_under
from saferhub.briefings.models import Briefing, BriefingSettings, BriefingStatus, MadeBy
from saferhub.geography.models import IntermediateZone
from saferhub.hub.notifications import notify_by_email
from saferhub.incidents.services import disclosures_of
from saferhub.partnerships.models import (
    ROLES_THAT_SEE_PERSONAL_DATA,
    Partnership,
    Role,
    RoleAssignment,
    User,
)
from saferhub.referrals.models import Referral
from saferhub.sharing.engine import Access, Reader
from saferhub.sharing.models import Level

NOTES_MAX = 5000


class BriefingInvalid(Exception):
    """The change cannot be made; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def briefing_settings_of(partnership: Partnership) -> BriefingSettings:
    """The partnership's settings, or the defaults (unsaved) when it has none."""
    found = BriefingSettings.objects.filter(partnership=partnership).first()
    return found or BriefingSettings(partnership=partnership)


def _local(day: datetime.date, at: datetime.time) -> datetime.datetime:
    # A wall-clock time that does not exist (the hour the clocks go forward) is read with
    # the offset before the change, as zoneinfo does for fold=0: a definite instant either way.
    zone = ZoneInfo(django_settings.TIME_ZONE)
    return datetime.datetime.combine(day, at, tzinfo=zone).astimezone(datetime.UTC)


def briefing_window(
    settings: BriefingSettings, for_date: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The (start, end) of a briefing's window, as UTC instants; start inclusive, end not.

    The window ends on `for_date` at the partnership's generate_at, local time. Whole days
    of the window are counted on the calendar, not in hours, so that consecutive briefings
    meet with no gap or overlap even on the days the clocks change (that day's 24-hour
    window is 23 or 25 hours long). On a Monday, with monday_covers_weekend, the window
    starts on Friday at the same time.
    """
    end = _local(for_date, settings.generate_at)
    if settings.monday_covers_weekend and for_date.weekday() == 0:
        return _local(for_date - datetime.timedelta(days=3), settings.generate_at), end
    days, hours = divmod(settings.window_hours, 24)
    start = _local(for_date - datetime.timedelta(days=days), settings.generate_at)
    return start - datetime.timedelta(hours=hours), end


def area_check(area: str) -> str:
    """The area code, upper-cased, if it is a known intermediate zone (or blank for the whole
    partnership); BriefingInvalid otherwise."""
    area = (area or "").strip().upper()
    if area and not IntermediateZone.objects.filter(code=area).exists():
        raise BriefingInvalid({"area": f"{area} is not a known intermediate zone"})
    return area


def briefing_make(
    *,
    partnership: Partnership,
    for_date: datetime.date,
    area: str = "",
    made_by: str,
    user: User | None = None,
) -> Briefing:
    """The partnership's briefing for the date (and area), made now unless it exists.
    Safe to call twice at once: the database's one-per-day constraint decides, and the
    loser gets the winner's briefing."""
    if made_by not in MadeBy.values:
        raise ValueError(f"unknown maker {made_by!r}")
    area = area_check(area)
    key = {"partnership": partnership, "area": area, "for_date": for_date}
    found = Briefing.objects.filter(**key).first()
    if found is not None:
        return found
    start, end = briefing_window(briefing_settings_of(partnership), for_date)
    try:
        with transaction.atomic():
            briefing = Briefing.objects.create(
                **key, window_start=start, window_end=end, made_by=made_by, created_by=user
            )
    except IntegrityError:
        return Briefing.objects.get(**key)
    return briefing


def is_coordinator(user: User, partnership_id: int) -> bool:
    return RoleAssignment.objects.filter(
        user=user, partnership_id=partnership_id, role=Role.COORDINATOR
    ).exists()


def _coordinator_only(user: User, briefing: Briefing, doing: str) -> None:
    if not is_coordinator(user, briefing.partnership_id):
        raise BriefingInvalid({"user": f"Only a coordinator of the partnership can {doing}"})


def briefing_notes_save(*, user: User, briefing: Briefing, notes: str) -> Briefing:
    """Keep the coordinator's notes, which every reader of the briefing sees."""
    _coordinator_only(user, briefing, "write the briefing's notes")
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise BriefingInvalid(
            {"notes": f"Keep the notes to {NOTES_MAX:,} characters (these are {len(notes):,})"}
        )
    briefing.notes = notes
    briefing.save(update_fields=["notes"])
    return briefing


def briefing_task_add(*, user: User, briefing: Briefing, data: ActionInput) -> Action:
    """Set one of the day's tasks: an action that belongs to the briefing. Raises
    BriefingInvalid for a non-coordinator, ActionInvalid for a bad action."""
    _coordinator_only(user, briefing, "set the briefing's tasks")
    data = dataclasses.replace(data, briefing_id=briefing.pk, case_id=None, meeting_id=None)
    return action_create(user=user, partnership=briefing.partnership, data=data)


def briefing_publish(*, user: User, briefing: Briefing) -> Briefing:
    """Publish the briefing to every member of the partnership and email those whose roles
    see people a link to it (only a link: each reader's version is built when they open it).
    Publishing twice changes nothing and emails no one again."""
    _coordinator_only(user, briefing, "publish the briefing")
    if briefing.status == BriefingStatus.PUBLISHED:
        return briefing
    with transaction.atomic():
        briefing.status = BriefingStatus.PUBLISHED
        briefing.published_at = timezone.now()
        briefing.published_by = user
        briefing.save(update_fields=["status", "published_at", "published_by"])
        partnership = briefing.partnership
        audit_record(
            actor=user,
            action="briefing published",
            purpose="tasking",
            partnership_code=partnership.code,
            detail={"briefing": briefing.pk, "for_date": briefing.for_date, "area": briefing.area},
        )
        readers = User.objects.filter(
            is_active=True,
            role_assignments__partnership=partnership,
            role_assignments__role__in=list(ROLES_THAT_SEE_PERSONAL_DATA),
        ).distinct()
        notify_by_email(
            users=readers,
            subject="The daily briefing is published",
            message=f"The daily briefing for {briefing.for_date:%A %-d %B %Y} is published.",
            path=briefing_path(briefing),
        )
    return briefing


def briefing_path(briefing: Briefing) -> str:
    path = f"/partnerships/{briefing.partnership.code}/briefing/{briefing.for_date:%Y-%m-%d}/"
    return f"{path}?area={briefing.area}" if briefing.area else path


def _disclosure(record_type: str, record, access: Access, partnership_code: str, owner_code: str):
    return disclosure_under(
        access,
        record_type=record_type,
        record_id=record.pk,
        partnership_code=partnership_code,
        owner_code=owner_code,
    )


def briefing_reads_record(
    *,
    reader: Reader,
    briefing: Briefing,
    incidents: Iterable,
    referrals: Iterable[tuple[Referral, Access]] = (),
    actions: Iterable[tuple[Action, Access]] = (),
    action: str = "briefing read",
) -> int:
    """Write down, in the audit trail, each other organisation's record the reader was shown
    in the briefing (one disclosure per record, at the level shown). Referrals and actions
    come with the access the briefing showed them at. Returns how many were written."""
    disclosures = disclosures_of(reader, incidents)
    code = briefing.partnership.code
    for referral, access in referrals:
        if referral.owner_id != reader.organisation_id and access.level in SHOWN:
            disclosures.append(_disclosure("referral", referral, access, code, referral.owner.code))
    for task, access in actions:
        if task.owner_id != reader.organisation_id and access.level in SHOWN:
            disclosures.append(_disclosure("action", task, access, code, task.owner.code))
    if disclosures or action == "briefing pdf":
        audit_record(
            actor=reader.user,
            action=action,
            purpose=reader.purpose,
            disclosures=disclosures,
            partnership_code="" if disclosures else code,
            detail={"briefing": briefing.pk, "for_date": briefing.for_date, "area": briefing.area},
        )
    return len(disclosures)


SHOWN = (Level.PERSONAL, Level.DEPERSONALISED)
