"""Reading cases, always through the sharing engine.

A case follows the sharing rules with its own themes; each incident linked to it is shown by
the incident's own rules (saferhub.incidents.selectors), never by the case's.
"""

from django.db.models import QuerySet

from saferhub.cases.models import Case, CaseRelevantPartner
from saferhub.partnerships.themes import books_for
from saferhub.sharing.engine import Access, Reader, RecordShape, decide, visibility_filter

CASE_SHAPE = RecordShape(
    theme_mask_field="theme_mask",
    relevant_partner_links=CaseRelevantPartner,
    record_field="case",
)


def cases_at_least(reader: Reader, at_least: str) -> QuerySet[Case]:
    """Every case the reader may see at `at_least` or above, unordered (one filter)."""
    return Case.objects.filter(visibility_filter(reader, CASE_SHAPE, at_least))


def case_access(reader: Reader, case: Case) -> Access:
    """How the reader may see one case, and why (fetch it with its relevant partners)."""
    book = books_for({case.partnership_id})[case.partnership_id]
    return decide(
        reader,
        partnership_id=case.partnership_id,
        owner_id=case.owner_id,
        theme_ids={theme.pk for theme in book.themes_in(case.theme_mask)},
        restricted=case.restricted,
        relevant_partner_ids={o.pk for o in case.relevant_partners.all()},
    )
