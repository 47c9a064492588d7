"""What case pages show, so that templates hold no logic.

At `personal` a case shows everything. At `depersonalised` it shows what kind of case it is
and how it stands (themes, stage, risk, dates, the organisation leading it) but no title,
notes, group description or names: the subject appears as a pseudonym with age band and sex,
or as a data zone.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from saferhub.cases.models import (
    Case,
    CaseReview,
    CaseSubject,
    ClosureOutcome,
    Rag,
    RiskAssessment,
    rag_of,
)
from saferhub.cases.services import OPEN_STAGES
from saferhub.incidents.presenters import RISK_TAG
from saferhub.partnerships.themes import books_for
from saferhub.sharing.engine import Access
from saferhub.sharing.models import Level
from saferhub.sharing.pseudonyms import age_band, pseudonym, subject_key

HIDDEN_TITLE = "Case (details not shared with your organisation)"
SCALE = {
    1: "Rare",
    2: "Unlikely",
    3: "Possible",
    4: "Likely",
    5: "Almost certain",
}
IMPACT_SCALE = {1: "Minimal", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}


def rag_tag(rag: str) -> str:
    return RISK_TAG.get(rag, "ds_tag--grey")


def rag_label(rag: str) -> str:
    return Rag(rag).label if rag else "Not assessed"


def review_overdue(case: Case, today: datetime.date | None = None) -> bool:
    """An open case whose review date has passed."""
    today = today or timezone.localdate()
    return case.is_open and case.next_review_on is not None and case.next_review_on < today


def subject_as_seen(case: Case, personal: bool) -> str:
    """Who or what the case is about, as the reader may see it."""
    if case.subject == CaseSubject.PERSON and case.person_record is not None:
        person = case.person_record
        if personal:
            name = f"{person.given_name} {person.family_name}".strip() or "Name not known"
            born = f", born {person.date_of_birth:%-d %B %Y}" if person.date_of_birth else ""
            return f"{name}{born}"
        key = subject_key(
            partnership_code=case.partnership.code,
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
        )
        band = age_band(person.date_of_birth, timezone.localdate())
        return f"{pseudonym(key)}, aged {band}, {person.get_sex_display().lower()}"
    if case.subject == CaseSubject.PLACE and case.place_record is not None:
        place = case.place_record
        if personal:
            parts = [place.address_line_1, place.address_line_2, place.town, place.postcode]
            return ", ".join(p for p in parts if p) or "Address not recorded"
        zone = place.data_zone or case.data_zone
        return f"A place in data zone {zone}" if zone else "A place"
    if case.subject == CaseSubject.GROUP:
        return case.group_description if personal else "A group"
    return "A problem"


@dataclass
class CaseRow:
    id: int
    title: str
    personal: bool
    subject: str
    themes: str
    owner: str
    stage: str
    rag: str
    rag_label: str
    rag_tag: str
    next_review_on: datetime.date | None
    review_overdue: bool
    opened_on: datetime.date


def _theme_names(case: Case, books: dict | None = None) -> str:
    books = books or books_for({case.partnership_id})
    book = books[case.partnership_id]
    return ", ".join(sorted(t.name for t in book.themes_in(case.theme_mask)))


def case_rows(pairs: list[tuple[Case, Access]]) -> list[CaseRow]:
    today = timezone.localdate()
    books = books_for({case.partnership_id for case, _ in pairs}) if pairs else {}
    rows = []
    for case, access in pairs:
        personal = access.level == Level.PERSONAL
        rows.append(
            CaseRow(
                id=case.pk,
                title=case.title if personal else HIDDEN_TITLE,
                personal=personal,
                subject=subject_as_seen(case, personal),
                themes=_theme_names(case, books),
                owner=case.owner.name,
                stage=case.get_stage_display(),
                rag=case.rag,
                rag_label=rag_label(case.rag),
                rag_tag=rag_tag(case.rag),
                next_review_on=case.next_review_on,
                review_overdue=review_overdue(case, today),
                opened_on=timezone.localtime(case.opened_at).date(),
            )
        )
    return rows


def stage_steps(case: Case, personal: bool) -> list[dict]:
    """The SARA stages as a step list: done, current or to come, each with its write-up."""
    current = OPEN_STAGES.index(case.stage) if case.is_open else len(OPEN_STAGES)
    notes = {
        "scanning": case.scanning_notes,
        "analysis": case.analysis_notes,
        "response": case.response_plan,
        "assessment": case.assessment_notes,
    }
    steps = []
    for index, stage in enumerate(OPEN_STAGES):
        state = "done" if index < current else "current" if index == current else "to_come"
        steps.append(
            {
                "value": stage.value,
                "label": stage.label,
                "state": state,
                "state_label": {"done": "Done", "current": "Now", "to_come": "To come"}[state],
                "notes": notes[stage.value] if personal else "",
            }
        )
    return steps


def risk_matrix(history: list[RiskAssessment]) -> dict:
    """The 5-by-5 matrix, impact across and likelihood down (5 at the top), with the case's
    latest assessment (the last of its history) marked."""
    latest = history[-1] if history else None
    rows = []
    for likelihood in range(5, 0, -1):
        cells = []
        for impact in range(1, 6):
            rag = rag_of(likelihood, impact)
            cells.append(
                {
                    "impact": impact,
                    "score": likelihood * impact,
                    "rag": rag,
                    "rag_label": Rag(rag).label,
                    "here": latest is not None
                    and (latest.likelihood, latest.impact) == (likelihood, impact),
                }
            )
        rows.append({"likelihood": likelihood, "label": SCALE[likelihood], "cells": cells})
    return {"rows": rows, "impacts": [{"value": i, "label": IMPACT_SCALE[i]} for i in range(1, 6)]}


def risk_history_rows(history: list[RiskAssessment], personal: bool) -> list[dict]:
    return [
        {
            "at": timezone.localtime(a.assessed_at),
            "likelihood": a.likelihood,
            "impact": a.impact,
            "score": a.likelihood * a.impact,
            "rag_label": Rag(a.rag).label,
            "rag_tag": rag_tag(a.rag),
            "rationale": a.rationale if personal else "",
            "by": a.assessed_by.get_full_name() if personal and a.assessed_by else "",
        }
        for a in reversed(history)
    ]


def review_rows(reviews: list[CaseReview], personal: bool) -> list[dict]:
    return [
        {
            "on": r.reviewed_on,
            "notes": r.notes if personal else "",
            "next": r.next_review_on,
            "by": r.reviewed_by.get_full_name() if personal and r.reviewed_by else "",
        }
        for r in reversed(reviews)
    ]


def case_page(case: Case, access: Access) -> dict:
    """The case's summary as the reader may see it."""
    personal = access.level == Level.PERSONAL
    return {
        "id": case.pk,
        "personal": personal,
        "title": case.title if personal else HIDDEN_TITLE,
        "subject_kind": case.get_subject_display(),
        "subject": subject_as_seen(case, personal),
        "person_record_id": case.person_record_id if personal else None,
        "place_record_id": case.place_record_id if personal else None,
        "themes": _theme_names(case),
        "data_zone": case.data_zone,
        "owner": case.owner.name,
        "lead": case.lead.get_full_name() if personal and case.lead else "",
        "stage": case.get_stage_display(),
        "is_open": case.is_open,
        "rag": case.rag,
        "rag_label": rag_label(case.rag),
        "rag_tag": rag_tag(case.rag),
        "next_review_on": case.next_review_on,
        "review_overdue": review_overdue(case),
        "opened_on": timezone.localtime(case.opened_at).date(),
        "closed_on": timezone.localtime(case.closed_at).date() if case.closed_at else None,
        "outcome": ClosureOutcome(case.closure_outcome).label if case.closure_outcome else "",
        "closure_notes": case.closure_notes if personal else "",
        "restricted": case.restricted,
        "relevant_partners": ", ".join(sorted(o.name for o in case.relevant_partners.all())),
    }
