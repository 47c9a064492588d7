"""Demo cases: eight problem-solving cases led by different partners, at every SARA stage.

They show what a working partnership's case list looks like: one red case, a risk that rose
and one that fell, actions given across organisations (some overdue, some done), reviews,
a restricted case, and one case closed with its outcome. Each case links demo incidents its
owner recorded, so that partners see the linked incidents by the incidents' own rules.

Written straight to the models, like the demo incidents, because the cases are back-dated
(opened weeks before `now`), which the services rightly refuse to do. Deterministic for a
seed; a partnership that has cases already is left alone.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction

from saferhub.actions.models import Action, ActionStatus, ActionUpdate
from saferhub.cases.models import (
    Case,
    CaseIncident,
    CaseReview,
    RiskAssessment,
    Stage,
    rag_of,
)
from saferhub.incidents.models import Incident
from saferhub.partnerships.models import Membership, Partnership, RoleAssignment, User
from saferhub.partnerships.themes import ThemeBook, has_theme
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord

STAGES = (Stage.SCANNING, Stage.ANALYSIS, Stage.RESPONSE, Stage.ASSESSMENT)


@dataclass
class DemoAction:
    title: str
    to: str  # organisation kind
    due_in_days: int  # from now; negative is past
    status: str = ActionStatus.OPEN
    note: str = ""


@dataclass
class DemoCase:
    owner: str  # organisation kind
    title: str
    subject: str
    themes: list[str]
    stage: str
    opened_days_ago: int
    risks: list[tuple[int, int, str]] = field(default_factory=list)
    actions: list[DemoAction] = field(default_factory=list)
    reviews: list[str] = field(default_factory=list)
    group: str = ""
    restricted_for: list[str] = field(default_factory=list)  # organisation kinds
    outcome: str = ""


CASES = [
    DemoCase(
        "police",
        "Repeated disorder and fire-raising at a block of flats",
        "place",
        ["asb"],
        Stage.RESPONSE,
        60,
        risks=[(3, 3, "Weekly complaints"), (4, 4, "Bin store fire, residents frightened")],
        actions=[
            DemoAction("Secure the bin stores and fit lighting", "local_authority", -3),
            DemoAction(
                "High-visibility patrols Friday and Saturday nights", "police", 10, "in_progress"
            ),
            DemoAction(
                "Fire safety talk for residents", "fire", -20, "done", "Talk given to 14 residents"
            ),
        ],
        reviews=["Plan agreed at MATAC", "Fewer calls, fire-raising continues"],
    ),
    DemoCase(
        "local_authority",
        "Young people gathering and drinking at the shopping precinct",
        "group",
        ["asb"],
        Stage.ANALYSIS,
        30,
        group="Eight to twelve young people, aged about 14 to 17, most evenings",
        risks=[(4, 2, "Nuisance rather than harm so far")],
        actions=[DemoAction("Youth work outreach on two evenings", "local_authority", 14)],
    ),
    DemoCase(
        "fire",
        "Hoarding and smoking in a tenancy: high fire risk",
        "person",
        ["fire_safety", "home_safety"],
        Stage.RESPONSE,
        45,
        risks=[(3, 4, "Exits partly blocked; smokes in bed")],
        actions=[
            DemoAction(
                "Home fire safety visit and smoke alarms",
                "fire",
                -30,
                "done",
                "Three alarms fitted",
            ),
            DemoAction("Community mental health review", "nhs", -15, "done", "Seen by the team"),
            DemoAction("Tenancy support visit", "housing", -5),
        ],
        reviews=["Alarms fitted, clutter still heavy"],
    ),
    DemoCase(
        "housing",
        "Tenant's flat taken over for drug dealing",
        "person",
        ["asb", "cuckooing"],
        Stage.ASSESSMENT,
        90,
        risks=[
            (5, 4, "Visitors at all hours, tenant intimidated"),
            (3, 3, "Visitors stopped after the closure order"),
            (2, 2, "Tenant supported, no visitors for a month"),
        ],
        actions=[
            DemoAction("Apply for a closure order", "police", -60, "done", "Order granted"),
            DemoAction("Move the tenant to a safer tenancy", "housing", -20, "done", "Moved"),
        ],
        reviews=["Closure order in force", "Stable for a month"],
    ),
    DemoCase(
        "local_authority",
        "Noise complaints between neighbours in a terrace",
        "problem",
        ["asb"],
        Stage.SCANNING,
        5,
    ),
    DemoCase(
        "police",
        "Motorbikes driven on the footpaths of a park",
        "place",
        ["asb"],
        Stage.CLOSED,
        120,
        risks=[(4, 3, "Near misses with children"), (2, 3, "Barriers in place")],
        actions=[
            DemoAction(
                "Fit barriers at the park entrances", "local_authority", -80, "done", "Fitted"
            ),
            DemoAction("Seize bikes under section 126", "police", -70, "done", "Two bikes seized"),
        ],
        reviews=["Barriers working"],
        outcome="reduced",
    ),
    DemoCase(
        "nhs",
        "Man in crisis calling emergency services repeatedly",
        "person",
        ["mental_health"],
        Stage.ANALYSIS,
        20,
        risks=[(4, 3, "Eleven calls in a month")],
        actions=[DemoAction("Agree a shared response plan", "police", 7)],
        restricted_for=["police"],
    ),
    DemoCase(
        "fire",
        "Deliberate grass fires on waste ground",
        "place",
        ["fire_safety", "asb"],
        Stage.RESPONSE,
        25,
        risks=[(3, 2, "Spring fires, no property at risk")],
        actions=[DemoAction("Clear the waste ground", "local_authority", 0)],
    ),
]


def _users_by_kind(partnership: Partnership) -> dict[str, User]:
    """One practitioner (or anyone with a role) per kind of organisation, first by username."""
    found: dict[str, User] = {}
    roles = (
        RoleAssignment.objects.filter(partnership=partnership, user__organisation__isnull=False)
        .select_related("user__organisation")
        .order_by("role", "user__username")
    )
    for assignment in sorted(roles, key=lambda a: (a.role != "practitioner", a.user.username)):
        found.setdefault(assignment.user.organisation.kind, assignment.user)
    return found


def demo_cases_load(*, partnership: Partnership, seed: int, now: datetime.datetime) -> int:
    """Make the partnership's demo cases, unless it has cases already; return how many were
    made (a case whose lead organisation has no demo user is left out)."""
    if Case.objects.filter(partnership=partnership).exists():
        return 0
    rng = random.Random(f"{seed}-{partnership.code}-cases")
    users = _users_by_kind(partnership)
    members = {
        m.organisation.kind: m.organisation
        for m in Membership.objects.filter(partnership=partnership).select_related("organisation")
    }
    book = ThemeBook.of(partnership)
    made = 0
    with transaction.atomic():
        for spec in CASES:
            owner = users.get(spec.owner)
            themes = [t for t in spec.themes if t in book.by_code]
            if owner is None or not themes:
                continue
            _make(spec, partnership, owner, users, members, book.mask_of(themes), rng, now)
            made += 1
    return made


def _make(spec, partnership, owner, users, members, mask, rng, now) -> Case:
    opened = now - datetime.timedelta(days=spec.opened_days_ago, hours=rng.randint(0, 8))
    person = place = None
    subject = spec.subject
    if subject == "person":
        person = _pick(PersonRecord.objects.filter(organisation_id=owner.organisation_id), rng)
        subject = subject if person else "problem"
    if subject == "place":
        place = _pick(PlaceRecord.objects.filter(organisation_id=owner.organisation_id), rng)
        subject = subject if place else "problem"
    closed = spec.stage == Stage.CLOSED
    reached = len(STAGES) if closed else STAGES.index(spec.stage) + 1
    notes = [
        "Reports and incidents brought together; the pattern confirmed.",
        "Most reports on weekend evenings; the same few people involved.",
        "Partners agreed the actions below at the tasking meeting.",
        "Fewer reports since the response began.",
    ]
    case = Case.objects.create(
        partnership=partnership,
        owner_id=owner.organisation_id,
        created_by=owner,
        lead=owner,
        title=spec.title,
        subject=subject,
        person_record=person,
        place_record=place,
        group_description=spec.group,
        data_zone=place.data_zone if place else "",
        theme_mask=mask,
        stage=spec.stage,
        scanning_notes=notes[0],
        analysis_notes=notes[1] if reached > 1 else "",
        response_plan=notes[2] if reached > 2 else "",
        assessment_notes=notes[3] if reached > 3 else "",
        opened_at=opened,
        restricted=bool(spec.restricted_for),
        closed_at=now - datetime.timedelta(days=3) if closed else None,
        closure_outcome=spec.outcome,
        closure_notes="Barriers and enforcement stopped most of it." if closed else "",
    )
    partners = [members[kind] for kind in spec.restricted_for if kind in members]
    case.relevant_partners.set(partners)
    incidents = Incident.objects.filter(
        partnership=partnership, owner_id=owner.organisation_id, restricted=False
    ).filter(has_theme("theme_mask", _lowest_bit(mask)))
    for incident in _sample(incidents, rng, rng.randint(2, 5)):
        CaseIncident.objects.create(case=case, incident=incident, linked_by=owner)
    span = max(1, spec.opened_days_ago - 1)
    for index, (likelihood, impact, why) in enumerate(spec.risks):
        at = opened + datetime.timedelta(days=span * index / max(1, len(spec.risks)))
        RiskAssessment.objects.create(
            case=case,
            likelihood=likelihood,
            impact=impact,
            rag=rag_of(likelihood, impact),
            rationale=why,
            assessed_at=at,
            assessed_by=owner,
        )
    if spec.risks:
        case.rag = rag_of(*spec.risks[-1][:2])
    for index, review_notes in enumerate(spec.reviews):
        day = (
            opened + datetime.timedelta(days=span * (index + 1) / (len(spec.reviews) + 1))
        ).date()
        CaseReview.objects.create(
            case=case,
            reviewed_on=day,
            notes=review_notes,
            next_review_on=day + datetime.timedelta(days=14),
            reviewed_by=owner,
        )
    if not closed:
        # One case's review has slipped, so that the list shows an overdue review.
        days = -2 if spec.stage == Stage.ASSESSMENT else rng.randint(3, 21)
        case.next_review_on = (now + datetime.timedelta(days=days)).date()
    case.save()
    for demo in spec.actions:
        _action(case, demo, owner, users, members, now)
    return case


def _action(case, demo: DemoAction, owner, users, members, now) -> None:
    given_to = members.get(demo.to)
    if given_to is None:
        return
    assignee = users.get(demo.to)
    set_at = max(case.opened_at, now + datetime.timedelta(days=demo.due_in_days - 14))
    action = Action.objects.create(
        partnership=case.partnership,
        owner_id=case.owner_id,
        set_by=owner,
        assignee_organisation=given_to,
        assignee=assignee,
        title=demo.title,
        theme_mask=case.theme_mask,
        due_on=(now + datetime.timedelta(days=demo.due_in_days)).date(),
        status=demo.status,
        completion_note=demo.note if demo.status == ActionStatus.DONE else "",
        completed_at=now + datetime.timedelta(days=demo.due_in_days - 1)
        if demo.status == ActionStatus.DONE
        else None,
        case=case,
        restricted=case.restricted,
    )
    action.relevant_partners.set(case.relevant_partners.all())
    ActionUpdate.objects.create(
        action=action, at=set_at, by=owner, status=ActionStatus.OPEN, note="Set"
    )
    if demo.status != ActionStatus.OPEN:
        ActionUpdate.objects.create(
            action=action,
            at=min(now, set_at + datetime.timedelta(days=7)),
            by=assignee,
            status=demo.status,
            note=demo.note,
        )


def _lowest_bit(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def _pick(queryset, rng: random.Random):
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:200])
    return queryset.model.objects.get(pk=rng.choice(ids)) if ids else None


def _sample(queryset, rng: random.Random, count: int) -> list:
    ids = list(queryset.order_by("-occurred_at", "pk").values_list("pk", flat=True)[:200])
    chosen = sorted(rng.sample(ids, min(count, len(ids))))
    return list(queryset.model.objects.filter(pk__in=chosen).order_by("pk"))
