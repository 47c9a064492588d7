"""The demo's three initiatives, like those in the seed reports, each with a finished evaluation.

* Targeted home fire safety visits (secondary prevention) in the three most deprived data
  zones: accidental dwelling fires there fall by about 60% from the start, and not in the
  comparison zones. The effect is planted: the fires are recorded through the hub's incident
  service, fewer of them in the visited zones after the start, so the difference-in-
  differences finds it because it is in the data.
* A pre-driver road-safety day (primary prevention) across the whole partnership: road
  traffic collisions go on as before. No effect is planted, and the interrupted time series
  should find none.
* A mental-health triage pilot (tertiary prevention) in one data zone: concerns for a person
  fall by a fifth, which one small zone's counts cannot tell from chance. An honest pilot
  result: the synthetic control says the data do not show an effect either way.

Deterministic for a seed: the same seed records the same incidents (at the same times
relative to `now`) and so gives the same estimates.
"""

import datetime
import random
from decimal import Decimal

import numpy as np

from saferhub.evaluation.models import Design, Initiative, InitiativeStatus
from saferhub.evaluation.selectors import analysis_reader, indicator_series
from saferhub.evaluation.services import (
    IndicatorInput,
    InitiativeInput,
    evaluation_run,
    indicator_create,
    initiative_create,
    initiative_partner_add,
    initiative_publish,
)
from saferhub.geography.models import DataZone
from saferhub.incidents.services import IncidentInput, incident_create
from saferhub.partnerships.models import Partnership, RoleAssignment, User

PRE_MONTHS = 24
POST_MONTHS = 12


def _month_start(day: datetime.date, months_back: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _user_of(partnership: Partnership, kind: str) -> User | None:
    """A user of the partnership in an organisation of this kind, an analyst if there is one."""
    roles = RoleAssignment.objects.filter(partnership=partnership, user__organisation__isnull=False)
    for wanted in (
        roles.filter(user__organisation__kind=kind, role="analyst"),
        roles.filter(user__organisation__kind=kind),
    ):
        found = wanted.select_related("user").order_by("user__username").first()
        if found:
            return found.user
    return None


def _zones(partnership: Partnership) -> list[str] | None:
    """The partnership's data zones, most deprived first; made-up codes when no geography is
    loaded at all; None when the geography does not cover the partnership."""
    own = DataZone.objects.filter(council_area__name=partnership.local_authority)
    codes = list(own.order_by("simd_rank", "code").values_list("code", flat=True)[:40])
    if len(codes) >= 20:
        return codes
    if not DataZone.objects.exists():
        return [f"S0{1009500 + i}" for i in range(20)]
    return None


def _runner(partnership: Partnership, indicator, recorder: User) -> User:
    """Who runs the demo evaluation: the first analyst of the partnership (by username) who
    may see every incident of the indicator for analysis, so that the demo's analysts can
    open the result; else the organisation that recorded them."""
    own = sum(
        indicator_series(indicator=indicator, reader=analysis_reader(recorder, partnership)).values
    )
    analysts = User.objects.filter(
        role_assignments__partnership=partnership,
        role_assignments__role="analyst",
        organisation__isnull=False,
    ).order_by("username")
    for analyst in analysts.distinct():
        reader = analysis_reader(analyst, partnership)
        if sum(indicator_series(indicator=indicator, reader=reader).values) == own:
            return analyst
    return recorder


def _record(
    *,
    user: User,
    partnership: Partnership,
    rng: random.Random,
    first_month: datetime.date,
    rates: list[float],
    zone: str,
    category: str,
    themes: list[str],
    now: datetime.datetime,
    prefix: str,
) -> int:
    """Record Poisson(rate) incidents in each month from `first_month`, in `zone`."""
    numpy_rng = np.random.default_rng(rng.getrandbits(32))
    made = 0
    for offset, rate in enumerate(rates):
        month = _month_start(first_month, -offset)
        for number in range(int(numpy_rng.poisson(rate))):
            occurred = datetime.datetime.combine(
                month + datetime.timedelta(days=rng.randint(0, 27)),
                datetime.time(rng.randint(0, 23), rng.randint(0, 59)),
                tzinfo=now.tzinfo,
            )
            if occurred >= now:
                continue
            incident_create(
                user=user,
                partnership=partnership,
                data=IncidentInput(
                    category=category,
                    themes=themes,
                    occurred_at=occurred,
                    risk="amber",
                    data_zone=zone,
                    source_ref=f"{prefix}-{zone}-{month:%Y%m}-{number}",
                    narrative="Demo incident for the initiatives register.",
                ),
            )
            made += 1
    return made


def demo_initiatives_load(*, partnership: Partnership, seed: int, now: datetime.datetime) -> int:
    """Make the partnership's three demo initiatives, their incidents and evaluations, unless
    it has initiatives already; return how many initiatives were made."""
    if Initiative.objects.filter(partnership=partnership).exists():
        return 0
    fire = _user_of(partnership, "fire")
    police = _user_of(partnership, "police")
    nhs = _user_of(partnership, "nhs") or police
    if fire is None or police is None:
        return 0
    rng = random.Random(f"{seed}-{partnership.code}-initiatives")
    today = now.date()
    start = _month_start(today, POST_MONTHS)
    first = _month_start(today, POST_MONTHS + PRE_MONTHS)
    last = _month_start(today, 0) - datetime.timedelta(days=1)
    months = PRE_MONTHS + POST_MONTHS
    zones = _zones(partnership)
    if zones is None:
        return 0
    visited, fire_comparison = zones[:3], zones[3:9]
    pilot, triage_comparison = zones[9], zones[10:18]
    record = dict(partnership=partnership, rng=rng, first_month=first, now=now)

    # 1. Home fire safety visits: a planted fall in the visited zones only.
    for zone in visited + fire_comparison:
        after = 1.0 if zone in visited else 2.5
        _record(
            user=fire,
            rates=[2.5] * PRE_MONTHS + [after] * POST_MONTHS,
            zone=zone,
            category="accidental_dwelling_fire",
            themes=["fire_safety", "home_safety"],
            prefix="DEMO-HFSV",
            **record,
        )
    visits = initiative_create(
        user=fire,
        partnership=partnership,
        data=InitiativeInput(
            title="Targeted home fire safety visits",
            themes=["fire_safety", "home_safety"],
            prevention_level="secondary",
            starts_on=start,
            target_group="Older people who smoke and live alone in the three most deprived "
            "data zones",
            data_zones=visited,
            cost=Decimal("42000"),
            inputs="Two fire safety advocates; smoke alarms and fire-retardant bedding",
            activities="Home fire safety visits to people referred by partners",
            outputs="Visits made; alarms fitted",
            outcomes="Fewer accidental dwelling fires in the visited zones",
            status=InitiativeStatus.RUNNING,
        ),
    )
    initiative_partner_add(
        initiative=visits,
        organisation_code=fire.organisation.code,
        kind="staff_hours",
        amount=Decimal("1600"),
        notes="Advocates' time",
    )
    outcome = indicator_create(
        initiative=visits,
        data=IndicatorInput(
            name="Accidental dwelling fires",
            kind="outcome",
            theme="fire_safety",
            category="accidental_dwelling_fire",
            period_from=first,
            period_to=last,
        ),
    )
    indicator_create(
        initiative=visits,
        data=IndicatorInput(
            name="Home fire safety visits made",
            kind="output",
            source="upload",
            upload="month,visits\n"
            + "".join(
                f"{_month_start(start, -i):%Y-%m},{30 + rng.randint(0, 15)}\n"
                for i in range(POST_MONTHS)
            ),
        ),
    )
    result = evaluation_run(
        initiative=visits,
        indicator=outcome,
        user=_runner(partnership, outcome, fire),
        design=Design.DID,
        comparison_zones=fire_comparison,
        unit_cost=Decimal("8500"),
        today=today,
    )
    initiative_publish(
        initiative=visits,
        user=fire,
        emmie_effect=result.result["conclusion"],
        emmie_mechanism="Working smoke alarms and safer habits stop small fires becoming "
        "dwelling fires.",
        emmie_moderators="Works best where people live alone and smoke; referral partners "
        "find the households.",
        emmie_implementation="Two advocates; referrals from police, housing and NHS partners.",
        emmie_economic_cost="£42,000 a year, mostly staff time.",
    )

    # 2. The road-safety day: collisions go on as before across the partnership.
    for index, zone in enumerate(zones[18:24] or zones[:6]):
        _record(
            user=police,
            rates=[1.5 + 0.2 * index] * months,
            zone=zone,
            category="road_traffic_collision",
            themes=["road_safety"],
            prefix="DEMO-RSD",
            **record,
        )
    road = initiative_create(
        user=police,
        partnership=partnership,
        data=InitiativeInput(
            title="Pre-driver road-safety day",
            themes=["road_safety"],
            prevention_level="primary",
            starts_on=start,
            target_group="Every S5 and S6 pupil in the partnership",
            cost=Decimal("12000"),
            inputs="Police and fire officers' time; a crash-scene demonstration",
            activities="A day for pre-drivers at each secondary school",
            outputs="Pupils who took part",
            outcomes="Fewer road traffic collisions involving young drivers",
            status=InitiativeStatus.FINISHED,
            ends_on=start + datetime.timedelta(days=60),
        ),
    )
    initiative_partner_add(
        initiative=road,
        organisation_code=fire.organisation.code,
        kind="in_kind",
        notes="A fire appliance and crew for the demonstration",
    )
    collisions = indicator_create(
        initiative=road,
        data=IndicatorInput(
            name="Road traffic collisions",
            kind="outcome",
            theme="road_safety",
            category="road_traffic_collision",
            period_from=first,
            period_to=last,
        ),
    )
    evaluation_run(
        initiative=road,
        indicator=collisions,
        user=_runner(partnership, collisions, police),
        design=Design.ITS,
        unit_cost=Decimal("2500"),
        today=today,
    )

    # 3. The triage pilot: a modest fall in one small zone.
    for zone in [pilot, *triage_comparison]:
        after = 1.6 if zone == pilot else 2.0
        _record(
            user=nhs,
            rates=[2.0] * PRE_MONTHS + [after] * POST_MONTHS,
            zone=zone,
            category="concern_for_person",
            themes=["mental_health"],
            prefix="DEMO-MHT",
            **record,
        )
    triage = initiative_create(
        user=nhs,
        partnership=partnership,
        data=InitiativeInput(
            title="Mental-health triage pilot",
            themes=["mental_health"],
            prevention_level="tertiary",
            starts_on=start,
            target_group="People in mental-health crisis who come to police attention",
            data_zones=[pilot],
            cost=Decimal("30000"),
            inputs="A mental-health nurse with the police response team",
            activities="Triage by telephone and in person at the scene",
            outputs="People triaged",
            outcomes="Fewer repeat concerns for a person",
            status=InitiativeStatus.RUNNING,
        ),
    )
    concerns = indicator_create(
        initiative=triage,
        data=IndicatorInput(
            name="Concerns for a person",
            kind="outcome",
            theme="mental_health",
            category="concern_for_person",
            period_from=first,
            period_to=last,
        ),
    )
    evaluation_run(
        initiative=triage,
        indicator=concerns,
        user=_runner(partnership, concerns, nhs),
        design=Design.SYNTHETIC_CONTROL,
        comparison_zones=triage_comparison,
        unit_cost=Decimal("1200"),
        today=today,
    )
    return 3
