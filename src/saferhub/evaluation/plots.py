"""Charts of an evaluation: what happened against what would have happened, and for a panel
difference-in-differences the event study (the gap period by period around the start)."""

from __future__ import annotations

from pathlib import Path

from saferhub.evaluation.reading import EvaluationError
from saferhub.evaluation.results import EvaluationResult

FORMATS = {".png", ".svg"}
TITLES = {
    "its": "Interrupted time series",
    "its-structural": "Interrupted time series (structural model)",
    "did-2x2": "Difference-in-differences",
    "did-panel": "Difference-in-differences",
    "did-staggered": "Difference-in-differences, staggered starts (by periods since the start)",
    "synthetic-control": "Synthetic control",
}


def plot_result(result: EvaluationResult, path: str | Path) -> Path:
    """Write the chart to a PNG or SVG file: observed against counterfactual, with the start
    marked, and (panel difference-in-differences) the event study beneath.

    >>> plot_result(result, "fires.png")  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise EvaluationError(f"--plot {path}: use a .png or .svg file name")
    # The object-oriented API, not pyplot: no global state, no display needed on a server.
    from matplotlib.figure import Figure

    event = result.details.get("event_study")
    rows = 2 if event else 1
    figure = Figure(figsize=(8, 4 * rows), layout="constrained")
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    times = [str(point["time"]) for point in result.series]
    positions = range(len(times))
    top = axes[0]
    top.plot(positions, [p["observed"] for p in result.series], color="#0065bd", label="observed")
    top.plot(
        positions,
        [p["counterfactual"] for p in result.series],
        color="#5e5e5e",
        linestyle="--",
        label="without the initiative (estimated)",
    )
    start = _start_position(result)
    if start is not None:
        top.axvline(start - 0.5, color="#d32205", linewidth=1, label="start")
    step = max(1, len(times) // 12)
    top.set_xticks(list(positions)[::step], times[::step], rotation=45, ha="right")
    top.set_ylabel(result.outcome)
    top.set_title(TITLES.get(result.method, result.method))
    top.legend(loc="best", frameon=False)
    if event:
        bottom = axes[1]
        when = [row["event_time"] for row in event]
        estimate = [row["estimate"] for row in event]
        below = [e - row["ci_low"] for e, row in zip(estimate, event, strict=True)]
        above = [row["ci_high"] - e for e, row in zip(estimate, event, strict=True)]
        bottom.errorbar(when, estimate, yerr=[below, above], fmt="o", color="#0065bd", capsize=3)
        bottom.axhline(0, color="#5e5e5e", linewidth=1)
        bottom.axvline(-0.5, color="#d32205", linewidth=1)
        bottom.set_xlabel("periods since the start (-1: the last period before it)")
        bottom.set_ylabel("treated minus comparison")
        bottom.set_title("Event study: the gap in each period, against the period before the start")
    try:
        figure.savefig(path)
    except OSError as exc:
        raise EvaluationError(f"Cannot write {path}: {exc.strerror or exc}") from None
    return path


def _start_position(result: EvaluationResult) -> int | None:
    if result.method == "did-staggered":
        return next((i for i, p in enumerate(result.series) if p["time"] == 0), None)
    if result.method == "did-2x2":
        return 1
    before = result.details.get("periods_before")
    if before is not None:
        return int(before)
    # Otherwise the first period where observed and counterfactual part.
    for i, point in enumerate(result.series):
        if abs(point["observed"] - point["counterfactual"]) > 1e-9 and i > 0:
            return i
    return None
