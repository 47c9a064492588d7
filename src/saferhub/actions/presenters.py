"""What action pages show, so that templates hold no logic.

At `depersonalised` an action shows what kind of task it is (themes), who set it, who has
it, when it is due and how it stands, but not its title, detail or notes: those are free
text and may name people and addresses.
"""

import datetime
from dataclasses import dataclass

from saferhub.actions.models import Action, ActionStatus, ActionUpdate
from saferhub.actions.services import NEXT_STATUSES, is_overdue
from saferhub.partnerships.themes import books_for
from saferhub.sharing.engine import Access
from saferhub.sharing.models import Level

STATUS_TAG = {
    ActionStatus.OPEN: "ds_tag--blue",
    ActionStatus.IN_PROGRESS: "ds_tag--orange",
    ActionStatus.DONE: "ds_tag--green",
    ActionStatus.CANCELLED: "ds_tag--grey",
}
HIDDEN_TITLE = "Action (details not shared with your organisation)"


@dataclass
class ActionRow:
    id: int
    title: str
    personal: bool
    themes: str
    set_by: str
    given_to: str
    due_on: datetime.date
    status: str
    status_tag: str
    overdue: bool
    case_id: int | None


def _theme_names(action: Action, books: dict | None = None) -> str:
    books = books or books_for({action.partnership_id})
    book = books[action.partnership_id]
    return ", ".join(sorted(t.name for t in book.themes_in(action.theme_mask)))


def _given_to(action: Action, personal: bool) -> str:
    name = action.assignee_organisation.name
    if personal and action.assignee is not None:
        return f"{action.assignee.get_full_name()}, {name}"
    return name


def action_rows(
    pairs: list[tuple[Action, Access]], today: datetime.date | None = None
) -> list[ActionRow]:
    books = books_for({action.partnership_id for action, _ in pairs}) if pairs else {}
    rows = []
    for action, access in pairs:
        personal = access.level == Level.PERSONAL
        rows.append(
            ActionRow(
                id=action.pk,
                title=action.title if personal else HIDDEN_TITLE,
                personal=personal,
                themes=_theme_names(action, books),
                set_by=action.owner.name,
                given_to=_given_to(action, personal),
                due_on=action.due_on,
                status=ActionStatus(action.status).label,
                status_tag=STATUS_TAG[action.status],
                overdue=is_overdue(action, today),
                case_id=action.case_id,
            )
        )
    return rows


def action_page(
    action: Action, access: Access, history: list[ActionUpdate], today: datetime.date | None = None
) -> dict:
    """The action as the reader may see it, with its history (notes only at personal)."""
    personal = access.level == Level.PERSONAL
    return {
        "id": action.pk,
        "personal": personal,
        "title": action.title if personal else HIDDEN_TITLE,
        "detail": action.detail if personal else "",
        "themes": _theme_names(action),
        "set_by": action.owner.name,
        "set_by_person": action.set_by.get_full_name() if personal and action.set_by else "",
        "given_to": _given_to(action, personal),
        "due_on": action.due_on,
        "status": ActionStatus(action.status).label,
        "status_tag": STATUS_TAG[action.status],
        "overdue": is_overdue(action, today),
        "completion_note": action.completion_note if personal else "",
        "case_id": action.case_id,
        "history": [
            {
                "at": update.at,
                "by": update.by.get_full_name() if personal and update.by else "",
                "status": ActionStatus(update.status).label,
                "note": update.note if personal else "",
            }
            for update in history
        ],
    }


def next_status_choices(action: Action) -> list[tuple[str, str]]:
    """The statuses the action may move to, the present one first (to add a note only)."""
    present = ActionStatus(action.status)
    return [(present.value, f"{present.label} (add a note)")] + [
        (status.value, ActionStatus(status).label) for status in NEXT_STATUSES[present]
    ]
