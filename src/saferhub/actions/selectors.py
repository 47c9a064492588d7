"""Reading actions, always through the sharing engine.

The organisation that set an action owns it and the organisation given it sees it in full
too; anyone else sees it by the sharing rules with the action's themes.
"""

from django.db.models import QuerySet

from saferhub.actions.models import Action, ActionRelevantPartner
from saferhub.partnerships.themes import books_for
from saferhub.sharing.engine import Access, Reader, RecordShape, decide, visibility_filter

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
    book = books_for({action.partnership_id})[action.partnership_id]
    return decide(
        reader,
        partnership_id=action.partnership_id,
        owner_id=action.owner_id,
        recipient_id=action.assignee_organisation_id,
        theme_ids={theme.pk for theme in book.themes_in(action.theme_mask)},
        restricted=action.restricted,
        relevant_partner_ids={o.pk for o in action.relevant_partners.all()},
    )
