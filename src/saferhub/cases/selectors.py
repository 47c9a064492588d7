"""Reading cases, always through the sharing engine.

A case follows the sharing rules with its own themes; each incident linked to it is shown by
the incident's own rules (saferhub.incidents.selectors), never by the case's.
"""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from saferhub.actions.models import Action
from saferhub.actions.selectors import action_access, actions_at_least
from saferhub.cases.models import Case, CaseRelevantPartner, CaseReview, RiskAssessment, Stage
from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import access_of, incidents_visible_to, with_details
from saferhub.partnerships.models import Partnership
from saferhub.partnerships.themes import books_for
from saferhub.sharing.engine import Access, Reader, RecordShape, decide, visibility_filter
from saferhub.sharing.models import Level

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
    book = (
        reader.theme_books().get(case.partnership_id)
        or books_for({case.partnership_id})[case.partnership_id]
    )
    return decide(
        reader,
        partnership_id=case.partnership_id,
        owner_id=case.owner_id,
        theme_ids={theme.pk for theme in book.themes_in(case.theme_mask)},
        restricted=case.restricted,
        relevant_partner_ids={o.pk for o in case.relevant_partners.all()},
    )


@dataclass(frozen=True)
class CaseFilters:
    partnership_id: int | None = None
    stage: str = ""  # a Stage, or "open" for every stage but closed
    rag: str = ""
    owner: str = ""  # organisation code
    # Only cases the user opened or leads.
    mine_of: int | None = None


def cases_visible_to(*, reader: Reader, filters: CaseFilters = CaseFilters()) -> QuerySet[Case]:
    """Cases the reader may see in a list (depersonalised or personal), newest first; one
    query filtered in the database. `case_access` then says how each may be shown."""
    queryset = cases_at_least(reader, Level.DEPERSONALISED)
    if filters.partnership_id is not None:
        queryset = queryset.filter(partnership_id=filters.partnership_id)
    if filters.stage == "open":
        queryset = queryset.exclude(stage=Stage.CLOSED)
    elif filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    if filters.rag:
        queryset = queryset.filter(rag=filters.rag)
    if filters.owner:
        queryset = queryset.filter(owner__code=filters.owner)
    if filters.mine_of is not None:
        queryset = queryset.filter(Q(lead_id=filters.mine_of) | Q(created_by_id=filters.mine_of))
    return (
        queryset.select_related("partnership", "owner", "person_record", "place_record", "lead")
        .prefetch_related("relevant_partners")
        .order_by("-opened_at", "-id")
    )


def case_visible_to(*, reader: Reader, case_id: int) -> tuple[Case, Access]:
    """One case and the reader's access to it; Case.DoesNotExist if they may not see it
    listed (a page answers 404, as for a case that does not exist)."""
    case = cases_visible_to(reader=reader).filter(pk=case_id).first()
    if case is None:
        raise Case.DoesNotExist(case_id)
    return case, case_access(reader, case)


def open_red_cases(*, reader: Reader, partnership: Partnership) -> list[tuple[Case, Access]]:
    """Open cases rated red that the reader may see in the partnership, with how they may see
    each: what a MATAC meeting goes through first. Oldest review first."""
    cases = cases_visible_to(
        reader=reader, filters=CaseFilters(partnership_id=partnership.pk, stage="open", rag="red")
    ).order_by(F("next_review_on").asc(nulls_last=True), "opened_at", "id")
    return [(case, case_access(reader, case)) for case in cases]


def case_incidents(*, reader: Reader, case: Case) -> list[tuple[Incident, Access]]:
    """The case's linked incidents that the reader may see, each by its own rules: one the
    reader may not see is left out and not counted."""
    incidents = with_details(
        incidents_visible_to(reader=reader).filter(case_links__case=case).distinct()
    )
    return [(incident, access_of(reader, incident)) for incident in incidents]


def case_actions(*, reader: Reader, case: Case) -> list[tuple[Action, Access]]:
    """The case's actions that the reader may see (depersonalised or above), due first."""
    actions = (
        actions_at_least(reader, Level.DEPERSONALISED)
        .filter(case=case)
        .select_related("partnership", "owner", "assignee_organisation", "assignee")
        .prefetch_related("relevant_partners")
        .order_by("due_on", "id")
    )
    return [(action, action_access(reader, action)) for action in actions]


def case_risk_history(*, case: Case) -> list[RiskAssessment]:
    """Every risk assessment of a case the caller has already been allowed to see, oldest
    first (pass only a case from `case_visible_to`)."""
    return list(case.risk_assessments.select_related("assessed_by"))


def case_reviews(*, case: Case) -> list[CaseReview]:
    """The reviews of a case the caller has already been allowed to see, oldest first."""
    return list(case.reviews.select_related("reviewed_by"))
