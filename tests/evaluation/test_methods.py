"""Small cases worked by hand, each assumption check made to fail, and properties that must hold
for any data (Hypothesis)."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferhub.evaluation import (
    EvaluationError,
    did_2x2,
    did_panel,
    economic_view,
    interrupted_time_series,
    simplex_least_squares,
    synthetic_control,
)


def _check(result, name):
    return next(c for c in result.checks if c.name == name)


# Interrupted time series -------------------------------------------------------------------


def _line(n=36, start=24, level=-5.0, slope=0.0, noise=0.0, seed=0):
    """y = 100 + 0.5 t, plus a level change (and slope change) from `start`."""
    t = np.arange(n)
    y = 100 + 0.5 * t + np.where(t >= start, level + slope * (t - start), 0.0)
    y = y + np.random.default_rng(seed).normal(0, noise, n)
    months = pd.period_range("2020-01", periods=n, freq="M").astype(str)
    return pd.DataFrame({"month": months, "fires": y})


def test_its_recovers_a_level_change_on_an_exact_line():
    result = interrupted_time_series(_line(), time="month", outcome="fires", start="2022-01")
    # Every period from January 2022 is exactly 5 below the line y = 100 + 0.5t.
    assert result.effect == pytest.approx(-5.0, abs=1e-9)
    assert result.effect_total == pytest.approx(-5.0 * 12, abs=1e-8)
    assert result.details["coefficients"]["trend"]["estimate"] == pytest.approx(0.5)
    assert result.series[30]["counterfactual"] == pytest.approx(100 + 0.5 * 30)
    assert result.series[30]["observed"] == pytest.approx(100 + 0.5 * 30 - 5)
    assert result.msms_level == 2
    assert json.loads(json.dumps(result.to_dict()))["method"] == "its"


def test_its_level_and_slope_change():
    data = _line(level=-4.0, slope=-1.0)
    result = interrupted_time_series(data, time="month", outcome="fires", start="2022-01")
    # Post periods k = 0..11 are 4 + k below the line: the mean gap is 4 + 5.5 = 9.5.
    assert result.effect == pytest.approx(-9.5, abs=1e-9)
    assert result.details["coefficients"]["slope_change"]["estimate"] == pytest.approx(-1.0)


def test_its_with_a_seasonal_pattern_and_log_scale():
    n, start = 60, 48
    t = np.arange(n)
    season = np.tile([1.2, 1.0, 0.9, 0.8, 0.9, 1.0, 1.1, 1.2, 1.0, 0.9, 1.0, 1.0], 5)
    fires = 200 * np.exp(0.004 * t) * season * np.where(t >= start, 0.8, 1.0)
    data = pd.DataFrame({"month": pd.period_range("2019-01", periods=n, freq="M").astype(str)})
    data["fires"] = fires
    result = interrupted_time_series(
        data, time="month", outcome="fires", start="2023-01", seasonal=12, log=True
    )
    # Exactly 20% fewer after the start: observed minus counterfactual = -0.25 x observed.
    expected = float(np.mean(fires[start:] - fires[start:] / 0.8))
    assert result.effect == pytest.approx(expected, rel=1e-6)
    assert result.details["relative_change"] == pytest.approx(-0.2, abs=1e-9)


def test_its_enough_pre_period_check_fails_on_a_short_series():
    data = _line(n=14, start=6, noise=0.5)
    result = interrupted_time_series(data, time="month", outcome="fires", start="2020-07")
    check = _check(result, "enough pre-period")
    assert check.passed is False
    assert "Only 6 periods before the start" in check.message
    assert check.message in result.warnings


def test_its_pre_fit_check_fails_on_a_noisy_series():
    data = _line(noise=40, seed=3)
    result = interrupted_time_series(data, time="month", outcome="fires", start="2022-01")
    assert _check(result, "pre-period fit").passed is False
    good = interrupted_time_series(_line(noise=1), time="month", outcome="fires", start="2022-01")
    assert _check(good, "pre-period fit").passed is True


def test_its_structural_recovers_a_step_on_a_random_walk():
    rng = np.random.default_rng(5)
    level = 50 + np.cumsum(rng.normal(0, 0.3, 80))
    y = level + rng.normal(0, 0.2, 80) + np.where(np.arange(80) >= 60, -6.0, 0.0)
    data = pd.DataFrame({"year": np.arange(1940, 2020), "count": y})
    result = interrupted_time_series(
        data, time="year", outcome="count", start=2000, structural=True
    )
    assert result.effect == pytest.approx(-6.0, abs=1.0)
    assert result.ci_low < -6.0 < result.ci_high


def test_its_errors_name_the_problem():
    data = _line()
    with pytest.raises(EvaluationError, match="after the last period"):
        interrupted_time_series(data, time="month", outcome="fires", start="2031-01")
    with pytest.raises(EvaluationError, match="at or before the first period"):
        interrupted_time_series(data, time="month", outcome="fires", start="2019-01")
    data["fires"] = data["fires"].astype(object)
    data.loc[4, "fires"] = "lots"
    with pytest.raises(EvaluationError, match="'fires' must hold numbers: data row 5 is 'lots'"):
        interrupted_time_series(data, time="month", outcome="fires", start="2022-01")
    with pytest.raises(EvaluationError, match="Too few periods before the start: 2"):
        interrupted_time_series(_line(), time="month", outcome="fires", start="2020-03")


# Difference-in-differences -----------------------------------------------------------------


def test_did_2x2_is_the_difference_of_four_means():
    data = pd.DataFrame(
        {
            "near": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
            "after": [0, 0, 1, 1, 0, 0, 0, 1, 1, 1],
            "calls": [10, 12, 7, 9, 20, 22, 24, 21, 23, 25],
        }
    )
    result = did_2x2(data, outcome="calls", group="near", post="after")
    # (8 - 11) - (23 - 22) = -4
    assert result.effect == pytest.approx(-4.0)
    assert result.series[1]["counterfactual"] == pytest.approx(11 + 23 - 22)
    assert result.effect_total == pytest.approx(-8.0)
    assert _check(result, "parallel pre-trends").passed is None
    assert _check(result, "enough data in each group").passed is False


def test_did_2x2_reads_yes_no_and_names_a_bad_indicator():
    data = pd.DataFrame(
        {
            "g": ["yes", "yes", "no", "no"] * 2,
            "p": ["no", "yes", "no", "yes"] * 2,
            "y": [1, 3, 2, 2, 1, 3, 2, 2],
        }
    )
    assert did_2x2(data, outcome="y", group="g", post="p").effect == pytest.approx(2.0)
    with pytest.raises(EvaluationError, match="Too few rows: 4"):
        did_2x2(data.iloc[:4], outcome="y", group="g", post="p")
    data.loc[2, "g"] = "maybe"
    with pytest.raises(EvaluationError, match=r"'g' must be 1 or 0 .* data row 3 is 'maybe'"):
        did_2x2(data, outcome="y", group="g", post="p")


def _panel(units=12, periods=10, treated=3, start=6, effect=-2.0, drift=0.0, seed=1, noise=0.3):
    """Units with their own level, a common time shock, noise; the first `treated` units get
    `effect` from `start` on and (with `drift`) a trend of their own before it."""
    rng = np.random.default_rng(seed)
    shock = rng.normal(0, 1, periods)
    rows = []
    for u in range(units):
        level = rng.normal(20, 3)
        for t in range(periods):
            y = level + shock[t] + rng.normal(0, noise)
            if u < treated:
                y += drift * t + (effect if t >= start else 0.0)
            rows.append((f"ward {u:02d}", 2010 + t, y))
    return pd.DataFrame(rows, columns=["ward", "year", "asb"])


def test_did_panel_recovers_the_effect_with_an_event_study():
    data = _panel()
    treated = ["ward 00", "ward 01", "ward 02"]
    result = did_panel(data, unit="ward", time="year", outcome="asb", treated=treated, start=2016)
    assert result.method == "did-panel"
    assert result.effect == pytest.approx(-2.0, abs=0.4)
    assert result.ci_low < -2.0 < result.ci_high
    assert result.effect_total == pytest.approx(result.effect * 3 * 4)
    events = {row["event_time"]: row for row in result.details["event_study"]}
    assert events[-1]["estimate"] == 0.0
    assert set(events) == set(range(-6, 4))
    assert events[2]["estimate"] == pytest.approx(-2.0, abs=0.6)
    assert _check(result, "parallel pre-trends").passed is True
    assert any("Only 12 units (3 treated)" in w for w in result.warnings)


def test_did_panel_without_noise_equals_the_hand_computed_gap():
    data = _panel(noise=0.0)
    result = did_panel(
        data, unit="ward", time="year", outcome="asb", treated=["ward 00", "ward 01"], start=2016
    )
    wide = data.pivot(index="ward", columns="year", values="asb")
    treated, comparison = wide.iloc[:2].mean(), wide.iloc[2:].mean()
    # Treated unit 2 (ward 02) is among the comparison units here, with its own -2 from 2016;
    # the fixed-effects estimate is the mean post gap minus the mean pre gap.
    gap = treated - comparison
    expected = gap.loc[2016:].mean() - gap.loc[:2015].mean()
    assert result.effect == pytest.approx(expected, abs=1e-9)


def test_did_panel_flags_diverging_pre_trends():
    data = _panel(drift=0.8, effect=0.0)
    result = did_panel(
        data,
        unit="ward",
        time="year",
        outcome="asb",
        treated=["ward 00", "ward 01", "ward 02"],
        start=2016,
    )
    check = _check(result, "parallel pre-trends")
    assert check.passed is False
    assert "already moving apart" in check.message


def test_did_panel_too_few_pre_periods_fails_the_check():
    data = _panel()
    result = did_panel(
        data, unit="ward", time="year", outcome="asb", treated=["ward 00"], start=2012
    )
    assert _check(result, "enough pre-period").passed is False


def test_staggered_adoption_warns_and_uses_callaway_santanna():
    # Early starters' effect grows over time; the plain fixed-effects regression then uses
    # them as controls for late starters and is biased (Goodman-Bacon 2021).
    rows = []
    for u in range(30):
        start = 4 if u < 10 else (8 if u < 20 else None)
        for t in range(12):
            y = 10.0 + u * 0.5 + t * 0.3
            if start is not None and t >= start:
                y += 1.0 + 1.0 * (t - start)
            rows.append((f"area {u}", t, y))
    data = pd.DataFrame(rows, columns=["area", "period", "fires"])
    treated = {f"area {u}": (4 if u < 10 else 8) for u in range(20)}
    result = did_panel(data, unit="area", time="period", outcome="fires", treated=treated)
    assert result.method == "did-staggered"
    assert any("staggered adoption" in w for w in result.warnings)
    # Without noise each ATT(g, t) is exact: 1 + (t - g). Early group: t = 4..11 -> 1..8,
    # late group: t = 8..11 -> 1..4; averaged over the 8 x 10 + 4 x 10 unit-periods:
    expected = (10 * sum(range(1, 9)) + 10 * sum(range(1, 5))) / (10 * 8 + 10 * 4)
    assert result.effect == pytest.approx(expected)
    assert result.effect_total == pytest.approx(expected * 120)
    assert result.details["fixed_effects"]["effect"] != pytest.approx(expected, abs=0.5)
    events = {row["event_time"]: row["estimate"] for row in result.details["event_study"]}
    assert events[0] == pytest.approx(1.0) and events[3] == pytest.approx(4.0)
    assert events[-3] == pytest.approx(0.0)


def test_panel_errors_name_the_problem():
    data = _panel()
    with pytest.raises(EvaluationError, match="'ward 99' is not a unit in the data"):
        did_panel(data, unit="ward", time="year", outcome="asb", treated=["ward 99"], start=2016)
    with pytest.raises(
        EvaluationError, match="unbalanced: unit 'ward 03' has no row for period 2012"
    ):
        did_panel(
            data.drop(index=32),
            unit="ward",
            time="year",
            outcome="asb",
            treated=["ward 00"],
            start=2016,
        )
    with pytest.raises(EvaluationError, match="No column 'borough'"):
        did_panel(data, unit="borough", time="year", outcome="asb", treated=["x"], start=2016)
    twice = pd.concat([data, data.iloc[[5]]])
    with pytest.raises(EvaluationError, match="more than once"):
        did_panel(twice, unit="ward", time="year", outcome="asb", treated=["ward 00"], start=2016)


# Synthetic control --------------------------------------------------------------------------


def _donors(units=10, periods=40, seed=2):
    rng = np.random.default_rng(seed)
    return 50 + np.cumsum(rng.normal(0, 1, (units, periods)), axis=1) + rng.normal(0, 8, (units, 1))


def _long(matrix, names, start_year=1990):
    return pd.DataFrame(
        [
            (name, start_year + t, matrix[i, t])
            for i, name in enumerate(names)
            for t in range(matrix.shape[1])
        ],
        columns=["area", "year", "fires"],
    )


def test_synthetic_control_recovers_an_exact_convex_combination():
    donors = _donors()
    weights = np.zeros(10)
    weights[[1, 4, 7]] = [0.5, 0.3, 0.2]
    treated = weights @ donors
    treated[30:] -= 3.0
    data = _long(np.vstack([donors, treated]), [f"donor {i}" for i in range(10)] + ["Fife"])
    result = synthetic_control(
        data, unit="area", time="year", outcome="fires", treated="Fife", start=2020
    )
    assert result.weights["donor 1"] == pytest.approx(0.5, abs=1e-6)
    assert result.weights["donor 4"] == pytest.approx(0.3, abs=1e-6)
    assert result.weights["donor 7"] == pytest.approx(0.2, abs=1e-6)
    assert result.pre_rmspe == pytest.approx(0.0, abs=1e-6)
    assert result.effect == pytest.approx(-3.0, abs=1e-6)
    assert result.effect_total == pytest.approx(-30.0, abs=1e-5)
    assert result.ci_low is None and result.p_value == pytest.approx(1 / 11)
    assert [d["without"] for d in result.details["leave_one_out"]] == [
        "donor 1",
        "donor 4",
        "donor 7",
    ]
    assert result.msms_level == 3


def test_synthetic_control_pre_fit_check_fails_outside_the_donors():
    donors = _donors()
    treated = donors.max(axis=0) + 30 + np.random.default_rng(9).normal(0, 5, 40)
    data = _long(np.vstack([donors, treated]), [f"d{i}" for i in range(10)] + ["Outlier"])
    result = synthetic_control(
        data,
        unit="area",
        time="year",
        outcome="fires",
        treated="Outlier",
        start=2020,
        placebo=False,
        leave_one_out=False,
    )
    assert _check(result, "pre-period fit").passed is False
    assert _check(result, "comparable donors").passed is False
    assert "above every donor" in _check(result, "comparable donors").message


def test_synthetic_control_short_pre_period_and_errors():
    donors = _donors(periods=12)
    data = _long(donors, [f"d{i}" for i in range(10)])
    result = synthetic_control(
        data,
        unit="area",
        time="year",
        outcome="fires",
        treated="d0",
        start=1995,
        placebo=False,
        leave_one_out=False,
    )
    assert _check(result, "enough pre-period").passed is False
    with pytest.raises(EvaluationError, match="'Atlantis' is not a unit"):
        synthetic_control(
            data, unit="area", time="year", outcome="fires", treated="Atlantis", start=1995
        )
    with pytest.raises(EvaluationError, match="Too few periods before the start: 1"):
        synthetic_control(data, unit="area", time="year", outcome="fires", treated="d0", start=1991)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=2, max_value=12),
    st.integers(min_value=2, max_value=30),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_simplex_weights_are_always_on_the_simplex_and_no_worse_than_any_vertex(
    donors, periods, seed
):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, rng.uniform(0.1, 100), (periods, donors))
    b = rng.normal(0, 50, periods)
    w = simplex_least_squares(a, b)
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    # The optimum is at least as good as putting all the weight on any one donor.
    best_vertex = min(np.sum((a[:, j] - b) ** 2) for j in range(donors))
    assert np.sum((a @ w - b) ** 2) <= best_vertex * (1 + 1e-7) + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=8, max_size=40),
    st.randoms(use_true_random=False),
)
def test_did_2x2_equals_the_four_means_difference_for_any_data(values, random):
    groups = [i % 2 for i in range(len(values))]
    posts = [(i // 2) % 2 for i in range(len(values))]
    random.shuffle(values)
    data = pd.DataFrame({"g": groups, "p": posts, "y": values})
    means = data.groupby(["g", "p"])["y"].mean()
    expected = (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0])
    result = did_2x2(data, outcome="y", group="g", post="p")
    assert result.effect == pytest.approx(expected, abs=1e-6 * (1 + np.abs(values).max()))


# Economic view ------------------------------------------------------------------------------


def test_economic_view_cost_per_incident_averted():
    view = economic_view(-40, cost=20_000, unit_cost=1_200)
    assert view.incidents_averted == 40
    assert view.cost_per_incident_averted == 500.0
    assert view.value_of_incidents_averted == 48_000
    assert view.net_benefit == 28_000
    assert "£500.00 each" in view.message
    rise = economic_view(12, cost=5_000)
    assert rise.cost_per_incident_averted is None
    assert "no incidents averted" in rise.message


def test_the_library_does_not_import_django():
    # Analysts use saferhub.evaluation in notebooks with no Django settings: importing it, and
    # running a method, must not pull Django in (only the management command may).
    code = (
        "import sys, pandas as pd\n"
        "from saferhub.evaluation import did_2x2\n"
        "did_2x2(pd.DataFrame({'g': [0, 0, 1, 1] * 2, 'p': [0, 1] * 4, 'y': range(8)}),\n"
        "        outcome='y', group='g', post='p')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
