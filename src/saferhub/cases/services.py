"""Opening, working and closing problem-solving cases.

Only the organisation that owns a case changes it: the owner answers for the case to its
partners, and a partner who sees a case through a protocol sees it to be informed, not to
steer it. Partners take part through the actions the case sets them (saferhub.actions).

Each change is one function that takes the acting user, checks everything before writing,
writes in one transaction and records an audit event in the same transaction.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from saferhub.actions.models import Action
from saferhub.actions.services import ActionInput, action_create
from saferhub.audit.services import audit_record, disclosure_under
from saferhub.cases.models import (
    Case,
    CaseIncident,
    CaseReview,
    CaseSubject,
    ClosureOutcome,
    RiskAssessment,
    Stage,
    rag_of,
)
from saferhub.cases.selectors import case_access
from saferhub.incidents.selectors import incidents_visible_to
from saferhub.partnerships.models import Membership, Partnership, RoleAssignment, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Level, Purpose
from saferhub.sharing.pseudonyms import subject_key

DATA_ZONE = re.compile(r"^S01\d{6}$")
# The SARA stages a case is worked through, in order; closing is a separate step.
OPEN_STAGES = (Stage.SCANNING, Stage.ANALYSIS, Stage.RESPONSE, Stage.ASSESSMENT)
NOTES_FIELD = {
    Stage.SCANNING: "scanning_notes",
    Stage.ANALYSIS: "analysis_notes",
    Stage.RESPONSE: "response_plan",
    Stage.ASSESSMENT: "assessment_notes",
}


class CaseInvalid(Exception):
    """The change cannot be made; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class CaseInput:
    title: str
    subject: str  # CaseSubject
    themes: list[str]
    person_record_id: int | None = None
    place_record_id: int | None = None
    group_description: str = ""
    data_zone: str = ""
    relevant_partners: list[str] = field(default_factory=list)
    restricted: bool = False
    next_review_on: datetime.date | None = None


def case_may_change(user: User, case: Case) -> bool:
    """Whether `user` may change the case: someone of its owner organisation who holds a role
    in its partnership."""
    return (
        user.organisation_id is not None
        and user.organisation_id == case.owner_id
        and RoleAssignment.objects.filter(user=user, partnership_id=case.partnership_id).exists()
    )


def _require_owner(user: User, case: Case) -> None:
    if not case_may_change(user, case):
        raise CaseInvalid({"user": "Only the organisation that leads the case can change it"})


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise CaseInvalid({"stage": "The case is closed: reopen it first"})


def _audit_change(user: User, case: Case, action: str, **detail) -> None:
    """The audit trail's note of a change (no free text: it may name people)."""
    audit_record(
        actor=user,
        action=action,
        purpose=Purpose.TASKING,
        partnership_code=case.partnership.code,
        detail={"case": case.pk, **detail},
    )


def case_open(*, user: User, partnership: Partnership, data: CaseInput) -> Case:
    """Open a case led by `user`'s organisation. Raises CaseInvalid naming each field that is
    wrong; nothing is stored then."""
    if user.organisation_id is None:
        raise CaseInvalid({"user": "Only someone in a member organisation can open a case"})
    errors: dict[str, str] = {}
    members = {
        m.organisation.code: m.organisation
        for m in Membership.objects.filter(partnership=partnership).select_related("organisation")
    }
    if (
        user.organisation.code not in members
        or not RoleAssignment.objects.filter(user=user, partnership=partnership).exists()
    ):
        errors["user"] = "You hold no role in this partnership"
    title = data.title.strip()
    if not title:
        errors["title"] = "Say what the problem is"
    elif len(title) > 200:
        errors["title"] = "Keep the title to 200 characters; put the rest in the scanning notes"
    person = place = None
    if data.subject not in CaseSubject.values:
        errors["subject"] = "Choose who or what the case is about"
    elif data.subject == CaseSubject.PERSON:
        person = PersonRecord.objects.filter(
            pk=data.person_record_id or 0, organisation_id=user.organisation_id
        ).first()
        if person is None:
            errors["person_record"] = "Choose a person your organisation holds a record of"
    elif data.subject == CaseSubject.PLACE:
        place = PlaceRecord.objects.filter(
            pk=data.place_record_id or 0, organisation_id=user.organisation_id
        ).first()
        if place is None:
            errors["place_record"] = "Choose a place your organisation holds a record of"
    elif data.subject == CaseSubject.GROUP and not data.group_description.strip():
        errors["group_description"] = "Describe the group"
    data_zone = data.data_zone.strip().upper() or (place.data_zone if place else "")
    if data_zone and not DATA_ZONE.match(data_zone):
        errors["data_zone"] = "Enter a data zone code like S01009876, or leave it blank"
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
    if data.restricted and not data.relevant_partners:
        errors["relevant_partners"] = (
            "Name the relevant partners: a restricted case is shown only to them"
        )
    if data.next_review_on is not None and data.next_review_on < timezone.localdate():
        errors["next_review_on"] = "The first review cannot be in the past"
    if errors:
        raise CaseInvalid(errors)
    with transaction.atomic():
        case = Case.objects.create(
            partnership=partnership,
            owner_id=user.organisation_id,
            created_by=user,
            lead=user,
            title=title,
            subject=data.subject,
            person_record=person,
            place_record=place,
            group_description=data.group_description.strip()
            if data.subject == CaseSubject.GROUP
            else "",
            data_zone=data_zone,
            theme_mask=book.mask_of(set(data.themes)),
            restricted=data.restricted,
            next_review_on=data.next_review_on,
            opened_at=timezone.now(),
        )
        case.relevant_partners.set([members[c] for c in dict.fromkeys(data.relevant_partners)])
        _audit_change(user, case, "case_open")
    return case


def case_link_incident(*, user: User, case: Case, incident_id: int) -> CaseIncident:
    """Link an incident of the case's partnership that `user` may see (depersonalised or
    above, for tasking). An incident they may not see is answered exactly as one that does
    not exist."""
    _require_owner(user, case)
    _require_open(case)
    reader = reader_in_partnership(reader_for(user, Purpose.TASKING), case.partnership_id)
    visible = incidents_visible_to(reader=reader).filter(
        pk=incident_id, partnership_id=case.partnership_id
    )
    if not visible.exists():
        raise CaseInvalid({"incident": f"There is no incident {incident_id} that you may see"})
    if case.incident_links.filter(incident_id=incident_id).exists():
        raise CaseInvalid({"incident": f"Incident {incident_id} is already linked to the case"})
    with transaction.atomic():
        link = CaseIncident.objects.create(case=case, incident_id=incident_id, linked_by=user)
        _audit_change(user, case, "case_link_incident", incident=incident_id)
    return link


def case_unlink_incident(*, user: User, case: Case, incident_id: int) -> None:
    """Take an incident off the case (one the user may see: they cannot act on others)."""
    _require_owner(user, case)
    _require_open(case)
    reader = reader_in_partnership(reader_for(user, Purpose.TASKING), case.partnership_id)
    visible = incidents_visible_to(reader=reader).filter(pk=incident_id)
    link = case.incident_links.filter(incident_id=incident_id, incident__in=visible).first()
    if link is None:
        raise CaseInvalid({"incident": f"Incident {incident_id} is not linked to the case"})
    with transaction.atomic():
        link.delete()
        _audit_change(user, case, "case_unlink_incident", incident=incident_id)


def _score(name: str, value: object, errors: dict[str, str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        errors[name] = f"Choose the {name} from 1 to 5"
        return 0
    return value


def risk_assess(
    *, user: User, case: Case, likelihood: int, impact: int, rationale: str
) -> RiskAssessment:
    """Assess the case's risk (likelihood and impact each 1 to 5). The case keeps every
    assessment as its history and shows the newest's red, amber or green."""
    _require_owner(user, case)
    _require_open(case)
    errors: dict[str, str] = {}
    likelihood = _score("likelihood", likelihood, errors)
    impact = _score("impact", impact, errors)
    if not rationale.strip():
        errors["rationale"] = "Say why you rate the risk this way"
    if errors:
        raise CaseInvalid(errors)
    rag = rag_of(likelihood, impact)
    with transaction.atomic():
        assessment = RiskAssessment.objects.create(
            case=case,
            likelihood=likelihood,
            impact=impact,
            rag=rag,
            rationale=rationale.strip(),
            assessed_at=timezone.now(),
            assessed_by=user,
        )
        case.rag = rag
        case.save(update_fields=["rag", "updated_at"])
        _audit_change(user, case, "case_risk_assess", rag=str(rag))
    return assessment


def case_move_stage(*, user: User, case: Case, stage: str, notes: str) -> Case:
    """Move the case on to the next SARA stage, or back to an earlier one, with the write-up
    for that stage (the same stage saves its write-up). Closing is `case_close`."""
    _require_owner(user, case)
    _require_open(case)
    if stage not in OPEN_STAGES:
        raise CaseInvalid({"stage": "Choose scanning, analysis, response or assessment"})
    here, there = OPEN_STAGES.index(case.stage), OPEN_STAGES.index(stage)
    if there > here + 1:
        raise CaseInvalid(
            {
                "stage": f"Work through {Stage(OPEN_STAGES[here + 1]).label.lower()} "
                f"before {Stage(stage).label.lower()}"
            }
        )
    if there == here and not notes.strip():
        raise CaseInvalid({"notes": "Write the notes for this stage, or choose another stage"})
    with transaction.atomic():
        case.stage = stage
        fields = ["stage", "updated_at"]
        if notes.strip():
            setattr(case, NOTES_FIELD[stage], notes.strip())
            fields.append(NOTES_FIELD[stage])
        case.save(update_fields=fields)
        _audit_change(user, case, "case_move_stage", stage=stage)
    return case


def case_review(
    *, user: User, case: Case, notes: str, next_review_on: datetime.date | None
) -> CaseReview:
    """Record today's review of the case and when the next one is due."""
    _require_owner(user, case)
    _require_open(case)
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if not notes.strip():
        errors["notes"] = "Say what the review found"
    if next_review_on is None:
        errors["next_review_on"] = "Enter when the case is next reviewed"
    elif next_review_on <= today:
        errors["next_review_on"] = "The next review must be after today"
    if errors:
        raise CaseInvalid(errors)
    with transaction.atomic():
        review = CaseReview.objects.create(
            case=case,
            reviewed_on=today,
            notes=notes.strip(),
            next_review_on=next_review_on,
            reviewed_by=user,
        )
        case.next_review_on = next_review_on
        case.save(update_fields=["next_review_on", "updated_at"])
        _audit_change(user, case, "case_review")
    return review


def case_close(*, user: User, case: Case, outcome: str, notes: str) -> Case:
    """Close the case with its outcome. Open actions must be done or cancelled first, so that
    no partner is left working on a case nobody leads any more."""
    _require_owner(user, case)
    _require_open(case)
    errors: dict[str, str] = {}
    if outcome not in ClosureOutcome.values:
        errors["outcome"] = "Choose the outcome"
    if not notes.strip():
        errors["notes"] = "Say what was achieved"
    still_open = case.actions.filter(status__in=["open", "in_progress"]).count()
    if still_open:
        errors["actions"] = (
            f"{still_open} action{'s are' if still_open > 1 else ' is'} still open: "
            "mark them done or cancel them first"
        )
    if errors:
        raise CaseInvalid(errors)
    with transaction.atomic():
        case.stage = Stage.CLOSED
        case.closed_at = timezone.now()
        case.closure_outcome = outcome
        case.closure_notes = notes.strip()
        case.save(
            update_fields=["stage", "closed_at", "closure_outcome", "closure_notes", "updated_at"]
        )
        _audit_change(user, case, "case_close", outcome=outcome)
    return case


def case_reopen(*, user: User, case: Case, reason: str) -> Case:
    """Reopen a closed case at the assessment stage; the reason joins the assessment notes
    and the earlier outcome is cleared (the audit trail keeps it)."""
    _require_owner(user, case)
    if case.is_open:
        raise CaseInvalid({"stage": "The case is already open"})
    if not reason.strip():
        raise CaseInvalid({"reason": "Say why the case is reopened"})
    with transaction.atomic():
        note = f"Reopened on {timezone.localdate():%-d %B %Y}: {reason.strip()}"
        case.assessment_notes = "\n\n".join(filter(None, [case.assessment_notes, note]))
        case.stage = Stage.ASSESSMENT
        case.closed_at = None
        case.closure_outcome = ""
        case.save(
            update_fields=[
                "stage",
                "closed_at",
                "closure_outcome",
                "assessment_notes",
                "updated_at",
            ]
        )
        _audit_change(user, case, "case_reopen")
    return case


def case_action_add(*, user: User, case: Case, data: ActionInput) -> Action:
    """Add an action to the case's response plan: set by the case's owner organisation, with
    the case's themes unless others are given."""
    _require_owner(user, case)
    _require_open(case)
    if not data.themes:
        book = ThemeBook.of(case.partnership_id)
        data.themes = [theme.code for theme in book.themes_in(case.theme_mask)]
    data.case_id = case.pk
    return action_create(user=user, partnership=case.partnership, data=data)


# Reading -------------------------------------------------------------------------------------


def case_subject_keys(case: Case) -> tuple[str, ...]:
    """Who the case is about, for the audit trail's disclosure histories."""
    person = case.person_record
    if person is None or not (person.given_name or person.family_name or person.date_of_birth):
        return ()
    return (
        subject_key(
            partnership_code=case.partnership.code,
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
        ),
    )


def case_reads_record(*, reader: Reader, cases: Iterable[Case]) -> None:
    """Write down, in the audit trail, each other organisation's case the reader saw."""
    disclosures = []
    for case in cases:
        if case.owner_id == reader.organisation_id:
            continue
        access = case_access(reader, case)
        if access.level not in (Level.PERSONAL, Level.DEPERSONALISED):
            continue
        disclosures.append(
            disclosure_under(
                access,
                record_type="case",
                record_id=case.pk,
                partnership_code=case.partnership.code,
                owner_code=case.owner.code,
                subjects=case_subject_keys(case),
            )
        )
    if disclosures:
        audit_record(
            actor=reader.user, action="read", purpose=reader.purpose, disclosures=disclosures
        )
