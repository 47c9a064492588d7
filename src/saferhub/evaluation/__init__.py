"""Evaluation: did a prevention initiative work, and how strong is the evidence?

Three ways to estimate what would have happened without the initiative, each taking a pandas
DataFrame and returning an `EvaluationResult` (effect, interval, p-value, the observed and
counterfactual series, plain-English assumption checks and warnings, the Maryland Scientific
Methods Scale level and a conclusion). `.to_dict()` gives the same JSON as
`saferhub evaluate ... --json`. See docs/evaluation.md.

In a notebook::

    import pandas as pd
    from saferhub.evaluation import (
        interrupted_time_series, did_2x2, did_panel, synthetic_control, economic_view,
        plot_result, read_table,
    )

    monthly = read_table("fires_by_month.csv")          # or any DataFrame
    result = interrupted_time_series(
        monthly, time="month", outcome="fires", start="2023-04", seasonal=12
    )
    print(result.conclusion)
    for check in result.checks:
        print(check.name, check.passed, check.message)

    areas = read_table("fires_by_area_and_month.csv")
    synth = synthetic_control(
        areas, unit="area", time="month", outcome="fires", treated="Dundee City",
        start="2023-04",
    )
    synth.weights, synth.pre_rmspe, synth.p_value
    plot_result(synth, "dundee.png")
    economic_view(synth.effect_total, cost=25_000, unit_cost=1_800).message

Nothing here imports Django: the library runs anywhere pandas does.
"""

from saferhub.evaluation.difference_in_differences import did_2x2, did_panel
from saferhub.evaluation.interrupted_time_series import interrupted_time_series
from saferhub.evaluation.plots import plot_result
from saferhub.evaluation.reading import EvaluationError, read_panel, read_table
from saferhub.evaluation.results import (
    MSMS_MEANING,
    Check,
    EconomicView,
    EvaluationResult,
    economic_view,
)
from saferhub.evaluation.synthetic_control import simplex_least_squares, synthetic_control

__all__ = [
    "MSMS_MEANING",
    "Check",
    "EconomicView",
    "EvaluationError",
    "EvaluationResult",
    "did_2x2",
    "did_panel",
    "economic_view",
    "interrupted_time_series",
    "plot_result",
    "read_panel",
    "read_table",
    "simplex_least_squares",
    "synthetic_control",
]
