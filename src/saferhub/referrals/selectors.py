"""Reading referrals, always through the sharing engine.

A referral is `personal` to the organisation that sent it and the one it was sent to; to
anyone else it follows the sharing rules with its own themes (DESIGN.md section 4). Referral
handling serves the `referral` purpose; briefings and meeting packs read referrals for
`tasking`, with a reader made for that purpose.
"""

from django.db.models import QuerySet

from saferhub.partnerships.themes import books_for
from saferhub.referrals.models import Referral, ReferralRelevantPartner
from saferhub.sharing.engine import Access, Reader, RecordShape, decide, visibility_filter

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
