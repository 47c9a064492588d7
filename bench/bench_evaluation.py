"""Evaluation methods: synthetic control and its placebo inference at the size of Scotland.

The targets (the evaluation issue): a synthetic control for one of 32 local authority areas
against the other 31 over 120 months takes at most 1 s; in-space placebo inference over all
31 donors (each refitted as if it were treated) at most 30 s. Also printed for scale: the same
with predictor matching (the nested optimisation of predictor importance, the slow part), an
interrupted time series and a panel difference-in-differences on the same data.

The data are made here: monthly incident counts for 32 areas from a factor model (each area
its own level and its own mix of three common trends, a shared seasonal pattern, noise), the
treated area a blend of others from month 96 on, then 8% lower. Timings are medians of several
runs; the machine's two cores are shared, so expect noise.
"""

import time

import numpy as np
import pandas as pd

from bench.measure import Result, median
from saferhub.evaluation import (
    did_panel,
    interrupted_time_series,
    synthetic_control,
)

AREAS = 32
MONTHS = 120
START_MONTH = 96
SYNTHETIC_MS = 1_000
PLACEBO_MS = 30_000


def scottish_areas(seed: int = 32) -> pd.DataFrame:
    """Long data: area, month (2015-01 ...), incidents, and two covariates."""
    rng = np.random.default_rng(seed)
    t = np.arange(MONTHS)
    factors = np.vstack(
        [t / MONTHS, np.sin(2 * np.pi * t / 60), np.cumsum(rng.normal(0, 0.05, MONTHS))]
    )
    loadings = rng.normal(0, 1, (AREAS, 3))
    season = 1 + 0.1 * np.sin(2 * np.pi * t / 12)
    level = rng.uniform(80, 400, (AREAS, 1))
    incidents = level * season * (1 + 0.1 * loadings @ factors) + rng.normal(0, 4, (AREAS, MONTHS))
    incidents[0] = 0.5 * incidents[3] + 0.3 * incidents[7] + 0.2 * incidents[11]
    incidents[0, START_MONTH:] *= 0.92
    months = pd.period_range("2015-01", periods=MONTHS, freq="M").astype(str)
    rows = {
        "area": np.repeat([f"Area {i:02d}" for i in range(AREAS)], MONTHS),
        "month": np.tile(months, AREAS),
        "incidents": incidents.ravel(),
        "population": np.repeat(level[:, 0] * 300, MONTHS),
        "deprivation": np.repeat(rng.uniform(0, 1, AREAS), MONTHS),
    }
    return pd.DataFrame(rows)


def _ms(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return median(samples)


def run():
    data = scottish_areas()
    common = {"unit": "area", "time": "month", "outcome": "incidents", "treated": "Area 00"}
    start = "2023-01"

    def fit() -> None:
        synthetic_control(data, **common, start=start, placebo=False, leave_one_out=False)

    fit()  # warm up: imports and first-call costs are not the method's
    yield Result(
        f"synthetic control, {AREAS} areas x {MONTHS} months",
        _ms(fit, 7),
        "ms",
        SYNTHETIC_MS,
    )

    def placebo() -> None:
        result = synthetic_control(data, **common, start=start, leave_one_out=False)
        assert len(result.details["placebo"]) == AREAS - 1

    yield Result(
        f"  with in-space placebos over all {AREAS - 1} donors",
        _ms(placebo, 3),
        "ms",
        PLACEBO_MS,
    )

    def full() -> None:
        synthetic_control(data, **common, start=start)

    yield Result("  with placebos and leave-one-out", _ms(full, 3), "ms", 0, "info")

    def matched() -> None:
        synthetic_control(
            data,
            **common,
            start=start,
            covariates=["population", "deprivation"],
            outcome_periods=["2016-01", "2019-01", "2022-12"],
            leave_one_out=False,
        )

    yield Result("  predictor matching (nested V) and placebos", _ms(matched, 1), "ms", 0, "info")

    single = data[data["area"] == "Area 00"]

    def its() -> None:
        interrupted_time_series(single, time="month", outcome="incidents", start=start, seasonal=12)

    yield Result("interrupted time series, 120 months", _ms(its, 5), "ms", 0, "info")

    def structural() -> None:
        interrupted_time_series(
            single, time="month", outcome="incidents", start=start, seasonal=12, structural=True
        )

    yield Result("  structural time series, 120 months", _ms(structural, 1), "ms", 0, "info")

    def panel() -> None:
        did_panel(
            data,
            unit="area",
            time="month",
            outcome="incidents",
            treated=["Area 00", "Area 01", "Area 02"],
            start=start,
        )

    yield Result(
        f"panel difference-in-differences, {AREAS} x {MONTHS}",
        _ms(panel, 3),
        "ms",
        0,
        "info",
    )
