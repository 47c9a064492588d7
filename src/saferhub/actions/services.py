"""Setting actions and moving them along.

Cases, daily briefings and MATAC meetings all set actions through `action_create`, so an
action is checked the same way wherever it comes from.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from saferhub.actions.models import Action, ActionStatus, ActionUpdate
from saferhub.actions.selectors import action_access
from saferhub.audit.services import Disclosure, audit_record, disclosure_under
from saferhub.cases.models import Case
from saferhub.hub.notifications import notify_by_email, partnership_users_of
from saferhub.partnerships.models import Membership, Partnership, RoleAssignment, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.sharing.engine import RECIPIENT, Reader
from saferhub.sharing.models import Level, Purpose


class ActionInvalid(Exception):
    """The action cannot be stored; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class ActionInput:
    title: str
    assignee_organisation: str  # organisation code
    due_on: datetime.date
    themes: list[str]
    detail: str = ""
    assignee_username: str = ""
    relevant_partners: list[str] = field(default_factory=list)
    restricted: bool = False
    case_id: int | None = None
    briefing_id: int | None = None
    meeting_id: int | None = None
    referral_id: int | None = None
    incident_id: int | None = None


def _members(partnership: Partnership) -> dict:
    return {
        m.organisation.code: m.organisation
        for m in Membership.objects.filter(partnership=partnership).select_related("organisation")
    }


def action_create(*, user: User, partnership: Partnership, data: ActionInput) -> Action:
    """Set an action from `user`'s organisation to another (or its own), and email the
    assignee a link. Raises ActionInvalid naming each field that is wrong."""
    errors: dict[str, str] = {}
    if user.organisation_id is None:
        raise ActionInvalid({"user": "Only someone in a member organisation can set an action"})
    title = data.title.strip()
    if not title:
        errors["title"] = "Say what needs to be done"
    elif len(title) > 200:
        errors["title"] = "Keep the action to 200 characters; put the rest in the detail"
    members = _members(partnership)
    if user.organisation.code not in members:
        errors["user"] = "Your organisation is not a member of this partnership"
    assignee_organisation = members.get(data.assignee_organisation)
    if assignee_organisation is None:
        errors["assignee_organisation"] = (
            f"{data.assignee_organisation or 'No organisation'} is not a member organisation "
            "of this partnership"
        )
    assignee = None
    if data.assignee_username:
        assignee = User.objects.filter(username=data.assignee_username, is_active=True).first()
        if assignee is None or (
            assignee_organisation is not None
            and assignee.organisation_id != assignee_organisation.pk
        ):
            errors["assignee"] = "Choose someone in the organisation the action is given to"
        elif not RoleAssignment.objects.filter(user=assignee, partnership=partnership).exists():
            errors["assignee"] = "That person holds no role in this partnership"
    book = ThemeBook.of(partnership)
    unknown = [code for code in data.themes if code not in book.by_code]
    if not data.themes:
        errors["themes"] = "Choose at least one theme"
    elif unknown:
        errors["themes"] = f"Unknown theme {', '.join(unknown)} in this partnership"
    outside = [code for code in data.relevant_partners if code not in members]
    if outside:
        errors["relevant_partners"] = (
            f"{', '.join(outside)} is not a member organisation of this partnership"
        )
    sources = [data.case_id, data.briefing_id, data.meeting_id]
    if sum(source is not None for source in sources) > 1:
        errors["source"] = "An action comes from one case, briefing or meeting, not several"
    if (
        data.case_id is not None
        and not Case.objects.filter(pk=data.case_id, partnership=partnership).exists()
    ):
        errors["source"] = f"There is no case {data.case_id} in this partnership"
    if data.due_on is None:
        errors["due_on"] = "Enter when the action is due"
    if errors:
        raise ActionInvalid(errors)
    with transaction.atomic():
        action = Action.objects.create(
            partnership=partnership,
            owner_id=user.organisation_id,
            set_by=user,
            assignee_organisation=assignee_organisation,
            assignee=assignee,
            title=title,
            detail=data.detail.strip(),
            theme_mask=book.mask_of(set(data.themes)),
            due_on=data.due_on,
            case_id=data.case_id,
            briefing_id=data.briefing_id,
            meeting_id=data.meeting_id,
            referral_id=data.referral_id,
            incident_id=data.incident_id,
            restricted=data.restricted,
        )
        action.relevant_partners.set([members[c] for c in dict.fromkeys(data.relevant_partners)])
        ActionUpdate.objects.create(
            action=action, at=timezone.now(), by=user, status=ActionStatus.OPEN, note="Set"
        )
        if action.assignee_organisation_id != action.owner_id:
            _audit_disclosure(user, action)
        _tell_assignee(action)
    return action


def _audit_disclosure(user: User, action: Action) -> None:
    """Giving an action to another organisation discloses it to them in full."""
    audit_record(
        actor=user,
        action="disclose",
        purpose=Purpose.TASKING,
        disclosures=[
            Disclosure(
                record_type="action",
                record_id=action.pk,
                partnership_code=action.partnership.code,
                owner_code=action.owner.code,
                level=Level.PERSONAL,
                basis=RECIPIENT,
            )
        ],
        detail={"to": action.assignee_organisation.code},
    )


def action_reads_record(*, reader: Reader, actions: Iterable[Action]) -> None:
    """Write down, in the audit trail, each other organisation's action the reader saw
    (including one given to the reader's organisation: it is still the setter's record)."""
    disclosures = []
    for action in actions:
        if action.owner_id == reader.organisation_id:
            continue
        access = action_access(reader, action)
        if access.level not in (Level.PERSONAL, Level.DEPERSONALISED):
            continue
        disclosures.append(
            disclosure_under(
                access,
                record_type="action",
                record_id=action.pk,
                partnership_code=action.partnership.code,
                owner_code=action.owner.code,
            )
        )
    if disclosures:
        audit_record(
            actor=reader.user, action="read", purpose=reader.purpose, disclosures=disclosures
        )


def _tell_assignee(action: Action) -> None:
    users = (
        [action.assignee]
        if action.assignee
        else partnership_users_of(
            organisation_id=action.assignee_organisation_id,
            partnership_id=action.partnership_id,
            roles=["coordinator"],
        )
    )
    notify_by_email(
        users=users,
        subject="An action has been given to your organisation",
        message=f"Action {action.pk} in the Safer Communities Hub is due on "
        f"{action.due_on:%d %B %Y}.",
        path=f"/partnerships/{action.partnership.code}/actions/{action.pk}/",
    )


# Who may move an action along: the organisation given it, and the one that set it.
NEXT_STATUSES = {
    ActionStatus.OPEN: (ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED),
    ActionStatus.IN_PROGRESS: (ActionStatus.DONE, ActionStatus.CANCELLED, ActionStatus.OPEN),
    ActionStatus.DONE: (ActionStatus.IN_PROGRESS,),
    ActionStatus.CANCELLED: (ActionStatus.OPEN,),
}


def action_update(*, user: User, action: Action, status: str, note: str = "") -> Action:
    """Change an action's status (with a note), as someone in the organisation given it or
    the one that set it. Raises ActionInvalid when the change is not allowed."""
    if user.organisation_id not in (action.owner_id, action.assignee_organisation_id):
        raise ActionInvalid(
            {
                "user": "Only the organisation given the action, or the one that set it, "
                "can update it"
            }
        )
    if status not in ActionStatus.values:
        raise ActionInvalid({"status": f"Unknown status {status!r}"})
    if status != action.status and status not in NEXT_STATUSES[action.status]:
        raise ActionInvalid(
            {
                "status": f"An action that is {action.get_status_display().lower()} cannot "
                f"become {ActionStatus(status).label.lower()}"
            }
        )
    if status == action.status and not note.strip():
        raise ActionInvalid({"note": "Write a note, or choose a new status"})
    if status == ActionStatus.DONE and not note.strip():
        raise ActionInvalid({"note": "Say what was done"})
    now = timezone.now()
    with transaction.atomic():
        action.status = status
        if status == ActionStatus.DONE:
            action.completed_at = now
            action.completion_note = note.strip()
        elif status != ActionStatus.CANCELLED:
            action.completed_at = None
        action.save(update_fields=["status", "completed_at", "completion_note", "updated_at"])
        ActionUpdate.objects.create(
            action=action, at=now, by=user, status=status, note=note.strip()
        )
        # The note stays out of the audit trail: it is free text and may name people.
        audit_record(
            actor=user,
            action="action_update",
            purpose=Purpose.TASKING,
            partnership_code=action.partnership.code,
            detail={"action": action.pk, "status": status},
        )
    return action


def is_overdue(action: Action, today: datetime.date | None = None) -> bool:
    """Still to do, and past its due date."""
    return action.is_open and action.due_on < (today or timezone.localdate())
