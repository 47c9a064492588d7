"""What the register's pages and reports show, so that templates hold no logic.

Every count of records shown passes through `shown_count`: 1 to 4 are written "fewer than 5"
(DESIGN.md section 4), in tables and on the chart alike.
"""

import base64
import math
import tempfile
from pathlib import Path

from saferhub.evaluation import Check, EvaluationResult, plot_result
from saferhub.evaluation.models import (
    PREVENTION_LEVEL_MEANING,
    Design,
    Evaluation,
    Initiative,
)
from saferhub.evaluation.results import format_number
from saferhub.incidents.selectors import SUPPRESS_BELOW

SUPPRESSED = "fewer than 5"

DESIGN_IN_WORDS = {
    Design.ITS: "An interrupted time series draws the trend from the periods before the start "
    "and carries it on: that is what would have happened. The effect is the gap between what "
    "happened and that line.",
    Design.ITS_STRUCTURAL: "An interrupted time series with a structural model: instead of a "
    "straight-line trend, the level may wander from period to period, as many crime series "
    "do; the effect is the step the series took at the start beyond that wandering. Use it "
    "when the series before the start does not follow a straight line.",
    Design.DID: "Difference-in-differences compares the change in the initiative's areas with "
    "the change, over the same time, in comparison areas that did not get it. Anything that "
    "hit every area at once cancels out.",
    Design.SYNTHETIC_CONTROL: "A synthetic control builds a stand-in for the initiative's area "
    "from a weighted blend of comparison areas that tracked it closely before the start; after "
    "the start the blend shows what would have happened.",
}

CHECK_MEANING = {
    "enough pre-period": "Without enough periods before the start, the line of what would "
    "have happened is guesswork.",
    "pre-period fit": "If the estimate did not track the outcome before the start, it cannot "
    "be trusted to show what would have happened after it.",
    "parallel pre-trends": "If the areas were already moving apart before the start, part of "
    "the 'effect' is a difference that was there anyway.",
    "comparable donors": "If the initiative's area is unlike every comparison area, no blend "
    "of them can stand in for it.",
}


def shown_count(value, *, counts: bool) -> str:
    """A value as a page shows it; a count of records from 1 to 4 is suppressed."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if counts and 0 < value < SUPPRESS_BELOW:
        return SUPPRESSED
    return format_number(float(value))


def initiative_rows(initiative: Initiative, theme_names: dict[str, str]) -> list[tuple]:
    level = initiative.prevention_level
    cost = f"£{initiative.cost:,.0f}" if initiative.cost is not None else "Not known"
    areas = ", ".join(initiative.data_zones) if initiative.data_zones else "The whole partnership"
    dates = f"{initiative.starts_on:%-d %B %Y}" + (
        f" to {initiative.ends_on:%-d %B %Y}" if initiative.ends_on else " onwards"
    )
    return [
        ("Owner", initiative.owner.name),
        ("Themes", ", ".join(theme_names.get(c, c) for c in initiative.themes)),
        (
            "Prevention level",
            f"{initiative.get_prevention_level_display()}: {PREVENTION_LEVEL_MEANING[level]}",
        ),
        ("Target group", initiative.target_group or "Not given"),
        ("Areas", areas),
        ("Dates", dates),
        ("Cost", cost),
        ("Status", initiative.get_status_display()),
    ]


def result_of(evaluation: Evaluation) -> EvaluationResult:
    """The stored result as the library's dataclass again (for its chart)."""
    data = dict(evaluation.result)
    fields = EvaluationResult.__dataclass_fields__
    data["checks"] = [Check(**check) for check in data.get("checks", [])]
    kept = {name: value for name, value in data.items() if name in fields}
    kept["effect"] = kept.get("effect") or 0.0
    kept["effect_total"] = kept.get("effect_total") or 0.0
    return EvaluationResult(**kept)


def shown_series(evaluation: Evaluation) -> list[dict]:
    """The series as shown. A panel difference-in-differences gives the treated zones'
    average; shown times the number of zones, it is the count for the initiative's whole
    area (a figure people can read, and the one to suppress, since the average of a few
    zones gives their total away)."""
    factor = 1
    if evaluation.design == Design.DID:
        factor = max(1, len(evaluation.parameters.get("treated_zones") or []))
    series = []
    for point in evaluation.result.get("series", []):
        scaled = {
            key: (None if point.get(key) is None else point[key] * factor)
            for key in ("observed", "counterfactual")
        }
        series.append({**point, **scaled})
    return series


def chart_svg(evaluation: Evaluation) -> str:
    """Observed against counterfactual as SVG, drawn by the library; suppressed counts are
    gaps in the observed line."""
    result = result_of(evaluation)
    counts = evaluation.parameters.get("counts", False)
    result.series = shown_series(evaluation)
    for point in result.series:
        observed = point["observed"]
        if counts and observed is not None and 0 < observed < SUPPRESS_BELOW:
            point["observed"] = float("nan")
    for point in result.series:
        for key in ("observed", "counterfactual"):
            if point[key] is None:
                point[key] = float("nan")
    with tempfile.TemporaryDirectory() as directory:
        path = plot_result(result, Path(directory) / "chart.svg")
        return path.read_text()


def chart_data_uri(evaluation: Evaluation) -> str:
    svg = chart_svg(evaluation).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _interval(result: dict) -> str:
    if result.get("ci_low") is None or result.get("ci_high") is None:
        return "No interval: this design tests the estimate against placebos instead"
    return f"{format_number(result['ci_low'])} to {format_number(result['ci_high'])}"


def _p_value(result: dict) -> str:
    p = result.get("p_value")
    if p is None:
        return "Not tested"
    words = "unlikely to be chance" if p < 0.05 else "could be chance: no clear effect either way"
    return f"{p:.3g} ({words})"


def result_page(evaluation: Evaluation) -> dict:
    """The result as the page and the PDF show it."""
    result = evaluation.result
    counts = evaluation.parameters.get("counts", False)
    per = result.get("details", {}).get("per", "per period")
    checks = [
        {
            "name": check["name"],
            "status": {True: "Passed", False: "Failed", None: "Cannot be tested"}[check["passed"]],
            "tag": {True: "ds_tag--green", False: "ds_tag--red", None: "ds_tag--grey"}[
                check["passed"]
            ],
            "message": check["message"],
            "meaning": CHECK_MEANING.get(check["name"], ""),
        }
        for check in result.get("checks", [])
    ]
    rows = []
    for point in shown_series(evaluation):
        observed, counterfactual = point.get("observed"), point.get("counterfactual")
        hidden = counts and observed is not None and 0 < observed < SUPPRESS_BELOW
        gap = None if observed is None or counterfactual is None else observed - counterfactual
        rows.append(
            {
                "time": point["time"],
                "observed": shown_count(observed, counts=counts),
                "counterfactual": shown_count(counterfactual, counts=False),
                # The gap and the estimate would give away a suppressed count.
                "gap": SUPPRESSED if hidden else shown_count(gap, counts=False),
            }
        )
    summary = [
        ("Design", evaluation.get_design_display()),
        ("Estimated effect", f"{format_number(result.get('effect'))} {per}"),
        ("In total after the start", format_number(result.get("effect_total"))),
        ("95% interval", _interval(result)),
        ("p-value", _p_value(result)),
        (
            "Strength of evidence",
            f"Level {result.get('msms_level')} of 5 on the Maryland Scientific Methods Scale: "
            f"{result.get('msms_meaning', '')}",
        ),
    ]
    comparison = evaluation.parameters.get("comparison_zones") or []
    return {
        "summary": summary,
        "conclusion": result.get("conclusion", ""),
        "checks": checks,
        "warnings": result.get("warnings", []),
        "rows": rows,
        "design_in_words": DESIGN_IN_WORDS.get(evaluation.design, ""),
        "comparison": ", ".join(comparison) or "None",
        "start": evaluation.parameters.get("start", ""),
        "economic": (evaluation.economic or {}).get("message", ""),
        "weights": [
            (zone, f"{weight:.2f}") for zone, weight in (result.get("weights") or {}).items()
        ],
        "counts": counts,
    }


def series_rows(series, *, counts: bool) -> list[dict]:
    return [
        {"period": period, "value": shown_count(value, counts=counts)}
        for period, value in zip(series.periods, series.values, strict=True)
    ]
