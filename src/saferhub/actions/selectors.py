"""Reading actions, always through the sharing engine.

The organisation that set an action owns it and the organisation given it sees it in full
too; anyone else sees it by the sharing rules with the action's themes.
"""

import datetime

from django.db.models import Case as DbCase
from django.db.models import Q, QuerySet, Value, When

from saferhub.actions.models import OPEN_STATUSES, Action, ActionRelevantPartner, ActionUpdate
from saferhub.partnerships.models import Partnership
from saferhub.partnerships.themes import books_for
from saferhub.sharing.engine import Access, Reader, RecordShape, decide, visibility_filter
from saferhub.sharing.models import Level

ACTION_SHAPE = RecordShape(
    theme_mask_field="theme_mask",
    relevant_partner_links=ActionRelevantPartner,
    record_field="action",
    recipient_field="assignee_organisation_id",
)


def actions_at_least(reader: Reader, at_least: str) -> QuerySet[Action]:
    """Every action the reader may see at `at_least` or above, unordered (one filter)."""
    return Action.objects.filter(visibility_filter(reader, ACTION_SHAPE, at_least))


def action_access(reader: Reader, action: Action) -> Access:
    """How the reader may see one action, and why (fetch it with its relevant partners)."""
    book = (
        reader.theme_books().get(action.partnership_id)
        or books_for({action.partnership_id})[action.partnership_id]
    )
    return decide(
        reader,
        partnership_id=action.partnership_id,
        owner_id=action.owner_id,
        recipient_id=action.assignee_organisation_id,
        theme_ids={theme.pk for theme in book.themes_in(action.theme_mask)},
        restricted=action.restricted,
        relevant_partner_ids={o.pk for o in action.relevant_partners.all()},
    )


def overdue_q(today: datetime.date) -> Q:
    """Actions still to be done whose due date is before `today` (due today is not late)."""
    return Q(status__in=OPEN_STATUSES, due_on__lt=today)


def due_between_q(start: datetime.date, end: datetime.date) -> Q:
    """Actions still to be done that fall due from `start` to `end`, both included."""
    return Q(status__in=OPEN_STATUSES, due_on__gte=start, due_on__lte=end)


def _queue(queryset: QuerySet[Action], today: datetime.date, open_only: bool) -> QuerySet[Action]:
    """Overdue first, then the rest still to do by due date, then the finished ones."""
    if open_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    return (
        queryset.select_related(
            "partnership", "owner", "assignee_organisation", "assignee", "set_by", "case"
        )
        .prefetch_related("relevant_partners")
        .annotate(
            late=DbCase(When(overdue_q(today), then=Value(0)), default=Value(1)),
            waiting=DbCase(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1)),
        )
        .order_by("late", "waiting", "due_on", "id")
    )


def my_actions(
    *, reader: Reader, partnership: Partnership, open_only: bool = False
) -> QuerySet[Action]:
    """ "My actions": those given to the reader by name, and those they set, in one
    partnership, overdue first."""
    user_id = reader.user.pk
    visible = actions_at_least(reader, Level.DEPERSONALISED).filter(
        Q(assignee_id=user_id) | Q(set_by_id=user_id), partnership=partnership
    )
    return _queue(visible, reader.today, open_only)


def organisation_actions(
    *, reader: Reader, partnership: Partnership, open_only: bool = False
) -> QuerySet[Action]:
    """ "My organisation's actions": those given to the reader's organisation, and those it
    set, in one partnership, overdue first."""
    organisation_id = reader.organisation_id
    if organisation_id is None:
        return Action.objects.none()
    visible = actions_at_least(reader, Level.DEPERSONALISED).filter(
        Q(assignee_organisation_id=organisation_id) | Q(owner_id=organisation_id),
        partnership=partnership,
    )
    return _queue(visible, reader.today, open_only)


def action_visible_to(*, reader: Reader, action_id: int) -> tuple[Action, Access]:
    """One action and the reader's access to it; Action.DoesNotExist if they may not see it
    (a page answers 404, as for an action that does not exist)."""
    action = (
        actions_at_least(reader, Level.DEPERSONALISED)
        .filter(pk=action_id)
        .select_related("partnership", "owner", "assignee_organisation", "assignee", "set_by")
        .prefetch_related("relevant_partners")
        .first()
    )
    if action is None:
        raise Action.DoesNotExist(action_id)
    return action, action_access(reader, action)


def action_history(*, action: Action) -> list[ActionUpdate]:
    """The updates of an action the caller has already been allowed to see, oldest first."""
    return list(action.updates.select_related("by"))
