"""The register's services and selectors: validation, versions, sharing, suppression."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from saferhub.evaluation.models import Evaluation
from saferhub.evaluation.presenters import result_page, shown_count
from saferhub.evaluation.selectors import (
    analysis_reader,
    comparison_candidates,
    design_proposal,
    indicator_series,
)
from saferhub.evaluation.services import (
    IndicatorInput,
    InitiativeInput,
    InitiativeInvalid,
    evaluation_run,
    indicator_create,
    initiative_create,
    initiative_partner_add,
)
from saferhub.geography.models import CouncilArea, DataZone, IntermediateZone
from saferhub.partnerships.models import Organisation
from tests.conftest import add_user
from tests.incidents.conftest import record

START = datetime.date(2025, 7, 1)
TODAY = datetime.date(2026, 6, 30)


def _user(fife, code: str, role: str = "analyst"):
    return add_user(
        f"{role}.{code}",
        partnership=fife,
        organisation=Organisation.objects.get(code=code),
        roles=[role],
    )


@pytest.fixture
def fire(fife):
    return _user(fife, "sfrs-fife")


@pytest.fixture
def initiative(fife, fire):
    return initiative_create(
        user=fire,
        partnership=fife,
        data=InitiativeInput(
            title="Home fire safety visits",
            themes=["fire_safety"],
            prevention_level="secondary",
            starts_on=START,
            data_zones=["S01009876"],
            cost=Decimal("10000"),
        ),
    )


def _outcome(initiative, **fields):
    data = {
        "name": "Dwelling fires",
        "kind": "outcome",
        "theme": "fire_safety",
        "period_from": datetime.date(2024, 7, 1),
        "period_to": TODAY,
        **fields,
    }
    return indicator_create(initiative=initiative, data=IndicatorInput(**data))


def _at(year: int, month: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, 10, 14, 0))


def test_an_initiative_with_bad_fields_names_each_one(fife, fire):
    with pytest.raises(InitiativeInvalid) as raised:
        initiative_create(
            user=fire,
            partnership=fife,
            data=InitiativeInput(
                title=" ",
                themes=["no_such_theme"],
                prevention_level="quaternary",
                starts_on=START,
                ends_on=START - datetime.timedelta(days=1),
                data_zones=["KY1 1AA"],
                cost=Decimal("-1"),
            ),
        )
    errors = raised.value.errors
    assert set(errors) == {
        "title",
        "themes",
        "prevention_level",
        "ends_on",
        "data_zones",
        "cost",
    }
    assert "no_such_theme" in errors["themes"]
    assert "KY1 1AA" in errors["data_zones"]


def test_a_partner_must_be_a_member_and_say_how_much(initiative):
    with pytest.raises(InitiativeInvalid) as raised:
        initiative_partner_add(initiative=initiative, organisation_code="nowhere", kind="money")
    assert set(raised.value.errors) == {"organisation", "amount"}
    with pytest.raises(InitiativeInvalid) as raised:
        initiative_partner_add(initiative=initiative, organisation_code="nhs-fife", kind="in_kind")
    assert set(raised.value.errors) == {"notes"}
    partner = initiative_partner_add(
        initiative=initiative, organisation_code="nhs-fife", kind="money", amount=Decimal("500")
    )
    assert partner.organisation.code == "nhs-fife"


def test_an_indicator_period_must_begin_before_the_start(initiative):
    with pytest.raises(InitiativeInvalid) as raised:
        _outcome(initiative, period_from=START, theme="")
    assert set(raised.value.errors) == {"period_from", "theme"}


def test_an_uploaded_series_names_the_bad_row(initiative):
    with pytest.raises(InitiativeInvalid) as raised:
        indicator_create(
            initiative=initiative,
            data=IndicatorInput(
                name="Visits",
                kind="output",
                source="upload",
                upload="month,visits\n2025-07,10\n2025-08,lots\n",
            ),
        )
    assert raised.value.errors == {
        "upload": "Data row 2 (2025-08, lots) must be a month like 2024-03 and a number"
    }


def test_a_partner_without_an_analysis_protocol_contributes_nothing(fife, initiative, fire):
    # The NHS signed no protocol for analysis; the police signed fife-isp, which covers
    # fire safety for analysis; the fire service's own incidents are its own.
    nhs = _user(fife, "nhs-fife", "practitioner")
    police = _user(fife, "police-fife", "practitioner")
    fires = {"themes": ["fire_safety"], "category": "dwelling_fire", "people": []}
    record(nhs, fife, occurred_at=_at(2025, 3), **fires)
    record(nhs, fife, occurred_at=_at(2025, 3), **fires)
    record(police, fife, occurred_at=_at(2025, 3), **fires)
    record(fire, fife, occurred_at=_at(2025, 3), **fires)
    indicator = _outcome(initiative)
    series = indicator_series(indicator=indicator, reader=analysis_reader(fire, fife), today=TODAY)
    assert series.values[series.periods.index("2025-03")] == 2
    assert sum(series.values) == 2
    # The NHS sees its own two and nothing of the others'.
    nhs_series = indicator_series(
        indicator=indicator, reader=analysis_reader(nhs, fife), today=TODAY
    )
    assert sum(nhs_series.values) == 2


def _monthly(user, fife, zone: str, counts: dict[tuple[int, int], int]):
    for (year, month), count in counts.items():
        for _ in range(count):
            record(
                user,
                fife,
                occurred_at=_at(year, month),
                themes=["fire_safety"],
                category="dwelling_fire",
                data_zone=zone,
                people=[],
            )


def _months(first: datetime.date, n: int) -> list[tuple[int, int]]:
    index = first.year * 12 + first.month - 1
    return [((index + i) // 12, (index + i) % 12 + 1) for i in range(n)]


def test_re_running_makes_the_next_version_and_keeps_the_last(fife, initiative, fire):
    months = _months(datetime.date(2024, 7, 1), 24)
    _monthly(fire, fife, "S01009876", {m: 6 + i % 3 for i, m in enumerate(months)})
    indicator = _outcome(initiative)
    runs = [
        evaluation_run(
            initiative=initiative, indicator=indicator, user=fire, design="its", today=TODAY
        )
        for _ in range(2)
    ]
    assert [run.version for run in runs] == [1, 2]
    assert Evaluation.objects.filter(indicator=indicator).count() == 2
    assert runs[1].result["msms_level"] == 2
    assert runs[1].parameters["start"] == "2025-07"


def test_a_wandering_series_can_be_evaluated_with_the_structural_model(fife, initiative, fire):
    months = _months(datetime.date(2024, 7, 1), 24)
    # A level that drifts up and down before the start, and drops by about 5 after it.
    drift = [8, 9, 11, 12, 12, 10, 9, 9, 11, 13, 13, 12]
    counts = {m: (drift[i] if i < 12 else drift[i - 12] - 5) for i, m in enumerate(months)}
    _monthly(fire, fife, "S01009876", counts)
    indicator = _outcome(initiative)
    series = indicator_series(indicator=indicator, reader=analysis_reader(fire, fife), today=TODAY)
    assert "its-structural" in design_proposal(series=series, whole_partnership=False).allowed

    run = evaluation_run(
        initiative=initiative, indicator=indicator, user=fire, design="its-structural", today=TODAY
    )

    assert run.result["method"] == "its-structural"
    assert run.result["msms_level"] == 2
    assert run.result["effect"] < -2  # the step down, beyond the wandering level


def test_an_output_indicator_is_not_evaluated(initiative, fire):
    output = _outcome(initiative, kind="output", name="Visits made")
    with pytest.raises(InitiativeInvalid) as raised:
        evaluation_run(initiative=initiative, indicator=output, user=fire, design="its")
    assert set(raised.value.errors) == {"indicator"}


def test_a_comparison_area_cannot_be_in_the_initiative(initiative, fire):
    indicator = _outcome(initiative)
    with pytest.raises(InitiativeInvalid) as raised:
        evaluation_run(
            initiative=initiative,
            indicator=indicator,
            user=fire,
            design="did",
            comparison_zones=["S01009876"],
        )
    assert "S01009876 is in the initiative's area" in raised.value.errors["comparison_zones"]


def _zone(code: str, rank: int) -> DataZone:
    council, _ = CouncilArea.objects.get_or_create(code="S12000047", name="Fife")
    middle, _ = IntermediateZone.objects.get_or_create(
        code="S02001234", defaults={"council_area": council}
    )
    return DataZone.objects.create(
        code=code, intermediate_zone=middle, council_area=council, simd_rank=rank
    )


def test_comparison_areas_are_ranked_by_simd_and_pre_period_trend(fife, initiative, fire):
    _zone("S01009876", 100)
    _zone("S01000001", 120)  # alike in SIMD and in trend
    _zone("S01000002", 6000)  # alike in trend, far in SIMD (most of Scotland apart)
    _zone("S01000003", 110)  # alike in SIMD, rising by 15% of its mean a month
    months = _months(datetime.date(2024, 7, 1), 12)
    flat = {m: 5 for m in months}
    _monthly(fire, fife, "S01009876", flat)
    _monthly(fire, fife, "S01000001", flat)
    _monthly(fire, fife, "S01000002", flat)
    _monthly(fire, fife, "S01000003", {m: 1 + i for i, m in enumerate(months)})
    indicator = _outcome(initiative)
    candidates = comparison_candidates(indicator=indicator, reader=analysis_reader(fire, fife))
    assert [c.code for c in candidates] == ["S01000001", "S01000003", "S01000002"]
    assert candidates[1].pre_trend == pytest.approx(1 / 6.5)
    assert candidates[0].simd_rank == 120


def test_the_design_needs_comparison_areas_to_reach_level_3(fife, initiative, fire):
    indicator = _outcome(initiative)
    reader = analysis_reader(fire, fife)
    alone = indicator_series(indicator=indicator, reader=reader, today=TODAY)
    assert design_proposal(series=alone, whole_partnership=False).design == "its"
    compared = indicator_series(
        indicator=indicator,
        reader=reader,
        comparison_zones=["S01000001", "S01000002"],
        today=TODAY,
    )
    proposal = design_proposal(series=compared, whole_partnership=False)
    assert proposal.design == "did"
    assert proposal.allowed == ["its", "its-structural", "did"]  # 12 months before the start


def test_counts_under_5_are_suppressed_but_estimates_are_not():
    assert shown_count(3, counts=True) == "fewer than 5"
    assert shown_count(0, counts=True) == "0"
    assert shown_count(5, counts=True) == "5.00"
    assert shown_count(3, counts=False) == "3.00"


def test_a_suppressed_count_does_not_leak_through_the_difference(fife, initiative, fire):
    evaluation = Evaluation(
        initiative=initiative,
        design="its",
        parameters={"counts": True},
        result={
            "series": [{"time": "2025-07", "observed": 3.0, "counterfactual": 6.5}],
            "checks": [],
        },
    )
    row = result_page(evaluation)["rows"][0]
    assert row["observed"] == row["gap"] == "fewer than 5"
    assert row["counterfactual"] == "6.50"


def test_a_panel_is_shown_as_the_count_for_the_whole_area(fife, initiative):
    evaluation = Evaluation(
        initiative=initiative,
        design="did",
        parameters={"counts": True, "treated_zones": ["S01000001", "S01000002", "S01000003"]},
        result={
            "series": [
                {"time": "2025-06", "observed": 1.0, "counterfactual": 1.5},
                {"time": "2025-07", "observed": 2.0, "counterfactual": 2.5},
            ],
            "checks": [],
        },
    )
    first, second = result_page(evaluation)["rows"]
    assert first["observed"] == "fewer than 5" and first["counterfactual"] == "4.50"
    assert second["observed"] == "6.00" and second["gap"] == "-1.50"


def test_a_quarterly_indicator_counts_by_quarter(fife, initiative, fire):
    _monthly(fire, fife, "S01009876", {(2024, 7): 2, (2024, 9): 4, (2024, 10): 1})
    indicator = _outcome(initiative, granularity="quarter")
    series = indicator_series(indicator=indicator, reader=analysis_reader(fire, fife), today=TODAY)
    assert series.periods[:3] == ["2024-07", "2024-10", "2025-01"]
    assert series.values[:3] == [6, 1, 0]
    assert series.start == "2025-07" and series.pre_periods == 4
