"""Difference-in-differences: compare the change in the places that got the initiative with the
change, over the same time, in places that did not.

* `did_2x2`: two groups (treated or not) and two periods (before or after), one row per
  observation: the effect is the treated group's change minus the comparison group's change
  (a regression with group and period indicators and their product, plus any controls).
* `did_panel`: many units observed over many periods: a regression with a fixed effect for each
  unit (whatever is different about a place and stays so) and each period (whatever hit every
  place at once), errors clustered by unit (a place's months are not independent), and an
  event study: the gap between treated and comparison units period by period, measured from
  the last period before the start, so the periods before the start show whether the groups
  were moving in parallel.

When units start at different times (staggered adoption) the fixed-effects regression quietly
compares late starters with early starters whose effect is still building up, and can get even
the sign wrong (Goodman-Bacon 2021). `did_panel` then warns and uses Callaway and Sant'Anna's
(2021) estimator instead: each group of units that started together is compared only with units
that have not started (never-treated units if there are any, otherwise units that start later),
each period against the group's last period before its start, and those comparisons are averaged
with weights by group size. Its standard errors come from each unit's contribution to the
estimate (the influence function), so a unit's whole history moves together, as with clustering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from saferhub.evaluation.reading import (
    EvaluationError,
    Panel,
    numeric_column,
    read_panel,
    require_columns,
)
from saferhub.evaluation.results import Check, EvaluationResult, conclusion_text

# Fewer periods before the start than this cannot show whether the groups moved in parallel.
MIN_PRE_PERIODS = 4
# With fewer clusters than this, clustered standard errors are too small (Cameron, Gelbach and
# Miller 2008); the estimate stands but its interval is optimistic.
FEW_CLUSTERS = 20
# With fewer treated units than this the same is true however many comparison units there are
# (Conley and Taber 2011).
FEW_TREATED = 5
YES = {"1", "1.0", "true", "yes", "y", "t", "treated", "post", "after"}
NO = {"0", "0.0", "false", "no", "n", "f", "control", "pre", "before"}


def did_2x2(
    data: pd.DataFrame,
    *,
    outcome: str,
    group: str,
    post: str,
    controls: Sequence[str] = (),
    errors: str = "robust",
    alpha: float = 0.05,
) -> EvaluationResult:
    """The 2x2 difference-in-differences: one row per observation, `group` 1 for the treated
    group and 0 for the comparison group, `post` 1 after the start and 0 before.

    `errors` is "robust" (heteroskedasticity-robust, HC1: the default) or "classical" (the
    textbook ordinary least squares errors). Without controls the effect is exactly
    (treated after - treated before) - (comparison after - comparison before) of the means.

    >>> result = did_2x2(houses, outcome="price", group="near", post="after")  # doctest: +SKIP
    """
    require_columns(data, [outcome, group, post, *controls])
    if errors not in ("robust", "classical"):
        raise EvaluationError(f"errors must be 'robust' or 'classical', not {errors!r}")
    y = numeric_column(data, outcome)
    g = _indicator(data, group)
    p = _indicator(data, post)
    extra = [numeric_column(data, c, what="control") for c in controls]
    cells = {(a, b): (g == a) & (p == b) for a in (0, 1) for b in (0, 1)}
    names = {(1, 0): "treated before", (1, 1): "treated after"}
    names |= {(0, 0): "comparison before", (0, 1): "comparison after"}
    for cell, rows in cells.items():
        if not rows.any():
            raise EvaluationError(
                f"No rows for the {names[cell]} group ({group}={cell[0]}, {post}={cell[1]}): "
                "a difference-in-differences needs all four"
            )
    x = np.column_stack([np.ones(len(y)), g, p, g * p, *extra])
    if len(y) <= x.shape[1]:
        raise EvaluationError(
            f"Too few rows: {len(y)}, and the regression has {x.shape[1]} terms; it needs more "
            "rows than terms to say anything about uncertainty"
        )
    fit = sm.OLS(y, x).fit(cov_type="HC1" if errors == "robust" else "nonrobust")
    effect, se = float(fit.params[3]), float(fit.bse[3])
    low, high = (float(v) for v in fit.conf_int(alpha)[3])
    means = {cell: float(y[rows].mean()) for cell, rows in cells.items()}
    counts = {cell: int(rows.sum()) for cell, rows in cells.items()}
    counterfactual_after = means[(1, 0)] + means[(0, 1)] - means[(0, 0)]
    smallest = min(counts.values())
    checks = [
        Check(
            "enough data in each group",
            smallest >= 10,
            f"The smallest of the four groups has {smallest} rows"
            + (
                ": enough for the averages to mean something"
                if smallest >= 10
                else ", under 10: one unusual row can swing the result"
            ),
        ),
        Check(
            "parallel pre-trends",
            None,
            "With one period before the start this cannot be tested: the estimate assumes the "
            "two groups would have changed alike without the initiative. Use a panel (several "
            "periods before the start) to check it",
        ),
    ]
    warnings = [c.message for c in checks if c.passed is not True]
    result = EvaluationResult(
        method="did-2x2",
        outcome=outcome,
        effect=effect,
        effect_total=effect * counts[(1, 1)],
        ci_low=low,
        ci_high=high,
        p_value=float(fit.pvalues[3]),
        series=[
            {"time": "before", "observed": means[(1, 0)], "counterfactual": means[(1, 0)]},
            {"time": "after", "observed": means[(1, 1)], "counterfactual": counterfactual_after},
        ],
        msms_level=3,
        checks=checks,
        warnings=warnings,
        details={
            "per": "per treated row after the start",
            "standard_error": se,
            "errors": "HC1 robust" if errors == "robust" else "classical OLS",
            "means": {names[cell]: value for cell, value in means.items()},
            "rows": {names[cell]: value for cell, value in counts.items()},
            "controls": list(controls),
        },
    )
    result.conclusion = conclusion_text(result, alpha=alpha)
    return result


def _indicator(data: pd.DataFrame, column: str) -> np.ndarray:
    """A 0/1 column (also true/false, yes/no); fail naming the first other value."""
    text = data[column].astype(str).str.strip().str.lower()
    yes, no = text.isin(YES).to_numpy(), text.isin(NO).to_numpy()
    bad = np.flatnonzero(~(yes | no))
    if len(bad):
        raise EvaluationError(
            f"The column {column!r} must be 1 or 0 (yes or no): data row {bad[0] + 1} is "
            f"{data[column].iloc[bad[0]]!r}"
        )
    return yes.astype(float)


def did_panel(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Sequence[str] | Mapping[str, object],
    start: object = None,
    controls: Sequence[str] = (),
    control_group: str = "auto",
    alpha: float = 0.05,
) -> EvaluationResult:
    """Difference-in-differences on a balanced panel (one row per unit and period).

    `treated` names the units that got the initiative; they all start at `start`, or pass a
    mapping unit -> start period when they started at different times (staggered adoption).
    Every other unit is a comparison unit. `controls` are time-varying columns added to the
    fixed-effects regression. `control_group` ("auto", "never" or "not-yet") chooses the
    comparison units of the staggered-adoption estimator: "auto" uses never-treated units if
    there are any, otherwise units that have not yet started.

    >>> result = did_panel(monthly, unit="ward", time="month", outcome="asb",
    ...                    treated=["Hilltown"], start="2023-04")  # doctest: +SKIP
    >>> result.details["event_study"]  # doctest: +SKIP
    """
    panel = read_panel(data, unit=unit, time=time, outcome=outcome, covariates=controls)
    for name, matrix in panel.covariates.items():
        if np.isnan(matrix).any():
            i, t = np.argwhere(np.isnan(matrix))[0]
            raise EvaluationError(
                f"The control column {name!r} is blank for unit {panel.units[i]!r} in period "
                f"{panel.labels[t]}: a fixed-effects control needs a value in every row"
            )
    adoption = _adoption(panel, treated, start)
    n_units, n_times = panel.outcome.shape
    starts = sorted({int(a) for a in adoption.values()})
    staggered = len(starts) > 1
    never = np.array([i not in adoption for i in range(n_units)])
    if not never.any() and not staggered:
        raise EvaluationError(
            "Every unit is treated from the same period: there is no comparison unit. Leave "
            "some units out of --treated"
        )
    first_post = starts[0]
    if first_post < 1:
        raise EvaluationError("--start leaves no period before it to compare with")
    warnings: list[str] = []
    cohorts = _group_time_effects(panel.outcome, adoption, control_group=control_group)
    if cohorts.dropped:
        warnings.append(cohorts.dropped)
    event = _event_study(cohorts, panel, alpha)
    leads = [row for row in event if row["event_time"] <= -2]
    checks = [
        _enough_pre(starts[0]),
        _pre_trend_check(cohorts, alpha, len(adoption), _comparison_units(adoption, n_units))
        if leads
        else _untestable_pre_trend(),
    ]
    twfe = _two_way_fixed_effects(panel, adoption, alpha)
    treated_units = [panel.units[i] for i in sorted(adoption)]
    if n_units < FEW_CLUSTERS or len(adoption) < FEW_TREATED:
        warnings.append(
            f"Only {n_units} units ({len(adoption)} treated): errors clustered on so few units "
            "understate the uncertainty, so read the interval and p-value as optimistic"
        )
    if staggered:
        warnings.append(
            "The treated units started at different times (staggered adoption). A plain "
            "fixed-effects regression would compare late starters with early starters and can "
            "be badly biased, so the estimate is Callaway and Sant'Anna's: each group of units "
            "that started together against units not yet treated at the time"
            + (" (never-treated units)" if cohorts.control == "never" else "")
            + f". The fixed-effects estimate, for comparison only: {twfe['effect']:.4g}"
        )
        if controls:
            warnings.append(
                "The staggered-adoption estimator does not use --controls: they are in the "
                "fixed-effects comparison only"
            )
        effect, se = cohorts.overall()
        df = max(n_units - 1, 1)
        quantile = stats.t.ppf(1 - alpha / 2, df)
        low, high = effect - quantile * se, effect + quantile * se
        p_value = float(2 * stats.t.sf(abs(effect / se), df)) if se else 0.0
        effect_total = cohorts.total()
        method = "did-staggered"
        series = _event_series(panel, adoption, event)
        per = "per treated unit per period after its start"
    else:
        effect, low, high, p_value = twfe["effect"], twfe["ci_low"], twfe["ci_high"], twfe["p"]
        effect_total = effect * len(adoption) * (n_times - first_post)
        method = "did-panel"
        series = _calendar_series(panel, adoption, first_post)
        per = "per treated unit per period after the start"
    warnings.extend(c.message for c in checks if c.passed is not True)
    result = EvaluationResult(
        method=method,
        outcome=outcome,
        effect=float(effect),
        effect_total=float(effect_total),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(p_value),
        series=series,
        msms_level=3,
        checks=checks,
        warnings=warnings,
        details={
            "per": per,
            "periods_before": None if staggered else first_post,
            "treated": treated_units,
            "starts": {panel.units[i]: panel.labels[a] for i, a in sorted(adoption.items())},
            "comparison_units": int(never.sum()),
            "fixed_effects": twfe,
            "event_study": event,
            "comparison": cohorts.control,
            "controls": list(controls),
        },
    )
    result.conclusion = conclusion_text(result, alpha=alpha)
    return result


def _adoption(panel: Panel, treated, start) -> dict[int, int]:
    """Each treated unit's index -> the position of its first treated period."""
    from saferhub.evaluation.reading import start_index

    if isinstance(treated, Mapping):
        pairs = list(treated.items())
    else:
        if start is None:
            raise EvaluationError("Give --start: the period the treated units started")
        pairs = [(name, start) for name in treated]
    if not pairs:
        raise EvaluationError("Name at least one treated unit (--treated)")
    adoption = {}
    for name, when in pairs:
        index = panel.unit_index(name)
        if when is None:
            raise EvaluationError(f"No start period for treated unit {name!r}")
        adoption[index] = start_index(
            panel.keys, panel.periods.key_of(when), column="the time column"
        )
    return adoption


class _GroupTime:
    """Callaway and Sant'Anna group-time effects ATT(g, t), each with its influence function."""

    def __init__(self) -> None:
        self.cells: list[dict] = []  # {start, time, att, size, influence}
        self.control = "never"
        self.dropped = ""

    def _aggregate(self, cells: list[dict]) -> tuple[float, np.ndarray]:
        sizes = np.array([c["size"] for c in cells], dtype=float)
        weights = sizes / sizes.sum()
        estimate = float(sum(w * c["att"] for w, c in zip(weights, cells, strict=True)))
        influence = sum(w * c["influence"] for w, c in zip(weights, cells, strict=True))
        return estimate, influence

    def overall(self) -> tuple[float, float]:
        """The average effect over every treated unit and period after its start."""
        post = [c for c in self.cells if c["time"] >= c["start"]]
        estimate, influence = self._aggregate(post)
        return estimate, standard_error(influence)

    def total(self) -> float:
        return float(sum(c["att"] * c["size"] for c in self.cells if c["time"] >= c["start"]))

    def by_event_time(self) -> dict[int, tuple[float, np.ndarray]]:
        out = {}
        for e in sorted({c["time"] - c["start"] for c in self.cells}):
            cells = [c for c in self.cells if c["time"] - c["start"] == e]
            out[e] = self._aggregate(cells)
        return out


def _group_time_effects(
    y: np.ndarray, adoption: dict[int, int], *, control_group: str = "auto"
) -> _GroupTime:
    """ATT(g, t) for every start group g and period t, against the group's last period before
    its start (a "universal" base period, so the periods before the start form the leads)."""
    n_units, n_times = y.shape
    starts = np.full(n_units, np.inf)
    for i, a in adoption.items():
        starts[i] = a
    result = _GroupTime()
    has_never = bool(np.isinf(starts).any())
    if control_group not in ("auto", "never", "not-yet"):
        raise EvaluationError(f"control_group must be auto, never or not-yet, not {control_group}")
    use_never = control_group == "never" or (control_group == "auto" and has_never)
    if use_never and not has_never:
        raise EvaluationError("control_group='never' needs units that are never treated")
    result.control = "never" if use_never else "not-yet"
    skipped = 0
    for g in sorted({int(s) for s in starts[np.isfinite(starts)]}):
        members = starts == g
        base = g - 1
        change = y - y[:, [base]]
        for t in range(n_times):
            if t == base:
                continue
            # Never-treated units, or units still untreated both at t and at the base period.
            never_or_not_yet = np.isinf(starts) if use_never else starts > max(t, base)
            comparison = never_or_not_yet & ~members
            if not comparison.any():
                skipped += 1
                continue
            treated_change, comparison_change = change[members, t], change[comparison, t]
            influence = np.zeros(n_units)
            influence[members] = (treated_change - treated_change.mean()) / members.sum()
            influence[comparison] = -(comparison_change - comparison_change.mean()) / (
                comparison.sum()
            )
            result.cells.append(
                {
                    "start": g,
                    "time": t,
                    "att": float(treated_change.mean() - comparison_change.mean()),
                    "size": int(members.sum()),
                    "influence": influence,
                }
            )
    if skipped:
        result.dropped = (
            f"{skipped} group-period comparison{'s' if skipped > 1 else ''} had no unit left "
            "that was not yet treated and were left out (the last periods of the last starters)"
        )
    return result


def standard_error(influence: np.ndarray) -> float:
    """The standard error from each unit's contribution (influence), with the G/(G-1)
    small-sample factor used for clustered errors."""
    units = len(influence)
    return float(np.sqrt(np.sum(influence**2) * units / max(units - 1, 1)))


def _event_study(cohorts: _GroupTime, panel: Panel, alpha: float) -> list[dict]:
    # t with (units - 1) degrees of freedom rather than the normal: honest with few units.
    quantile = stats.t.ppf(1 - alpha / 2, max(len(panel.units) - 1, 1))
    rows = [{"event_time": -1, "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0}]
    for e, (estimate, influence) in cohorts.by_event_time().items():
        se = standard_error(influence)
        rows.append(
            {
                "event_time": int(e),
                "estimate": estimate,
                "ci_low": estimate - quantile * se,
                "ci_high": estimate + quantile * se,
            }
        )
    return sorted(rows, key=lambda r: r["event_time"])


def _pre_trend_check(cohorts: _GroupTime, alpha: float, treated: int, comparison: int) -> Check:
    """Were the groups drifting apart before the start? The slope of the event-study gaps
    over the periods before the start (a differential pre-trend), tested with a t test whose
    degrees of freedom are those of the smaller group less one: with a handful of treated
    units their spread is known only roughly, and a test that ignores this cries "not parallel"
    about half the time when the groups were in fact parallel."""
    by_time = cohorts.by_event_time()
    leads = {e: v for e, v in by_time.items() if e <= -2}
    times = np.array([*leads, -1], dtype=float)
    estimates = np.array([v[0] for v in leads.values()] + [0.0])
    centred = times - times.mean()
    contrast = centred / np.sum(centred**2)
    slope = float(contrast @ estimates)
    influence = sum(c * v[1] for c, v in zip(contrast, leads.values(), strict=False))
    se = standard_error(influence)
    df = max(min(treated, comparison) - 1, 1)
    p = float(2 * stats.t.sf(abs(slope / se), df)) if se > 0 else (0.0 if slope else 1.0)
    biggest = float(np.max(np.abs(estimates)))
    span = f"the {len(leads) + 1} periods before the start"
    if p >= alpha:
        return Check(
            "parallel pre-trends",
            True,
            f"Before the start the treated and comparison units moved in parallel: over {span} "
            f"the gap between them drifted by {slope:+.3g} a period, no more than chance would "
            f"give (p = {p:.3g}; largest gap {biggest:.3g})",
        )
    return Check(
        "parallel pre-trends",
        False,
        f"Before the start the treated and comparison units were already moving apart: over "
        f"{span} the gap between them drifted by {slope:+.3g} a period (p = {p:.3g}). The "
        "comparison units may not show what would have happened, so the effect may be partly "
        "a difference that was there anyway",
    )


def _comparison_units(adoption: dict[int, int], n_units: int) -> int:
    """The never-treated units or, when every unit is treated, the units that start last."""
    never = n_units - len(adoption)
    if never:
        return never
    last = max(adoption.values())
    return sum(1 for a in adoption.values() if a == last)


def _untestable_pre_trend() -> Check:
    return Check(
        "parallel pre-trends",
        None,
        "Only one period before the start: whether the groups moved in parallel cannot be tested",
    )


def _enough_pre(before: int) -> Check:
    if before >= MIN_PRE_PERIODS:
        return Check(
            "enough pre-period",
            True,
            f"{before} periods before the start: enough to see whether the groups moved in "
            "parallel",
        )
    return Check(
        "enough pre-period",
        False,
        f"Only {before} period{'s' if before != 1 else ''} before the start; at least "
        f"{MIN_PRE_PERIODS} are needed to see whether the treated and comparison units were "
        "moving in parallel beforehand",
    )


def _two_way_fixed_effects(panel: Panel, adoption: dict[int, int], alpha: float) -> dict:
    """Unit and period fixed effects by the two-way within transformation (exact on a
    balanced panel), errors clustered by unit."""
    n_units, n_times = panel.outcome.shape
    treated = np.zeros_like(panel.outcome)
    for i, a in adoption.items():
        treated[i, a:] = 1.0

    def within(matrix: np.ndarray) -> np.ndarray:
        return (
            matrix
            - matrix.mean(axis=1, keepdims=True)
            - matrix.mean(axis=0, keepdims=True)
            + matrix.mean()
        ).ravel()

    x = np.column_stack([within(treated), *(within(m) for m in panel.covariates.values())])
    y = within(panel.outcome)
    groups = np.repeat(np.arange(n_units), n_times)
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    low, high = fit.conf_int(alpha)[0]
    return {
        "effect": float(fit.params[0]),
        "standard_error": float(fit.bse[0]),
        "ci_low": float(low),
        "ci_high": float(high),
        "p": float(fit.pvalues[0]),
        "errors": f"clustered by unit ({n_units} clusters)",
    }


def _calendar_series(panel: Panel, adoption: dict[int, int], first_post: int) -> list[dict]:
    """The treated units' average, and the comparison units' average shifted by the average
    gap before the start: what the treated units would have done, moving like the others."""
    is_treated = np.zeros(len(panel.units), dtype=bool)
    is_treated[list(adoption)] = True
    treated = panel.outcome[is_treated].mean(axis=0)
    comparison = panel.outcome[~is_treated].mean(axis=0)
    gap = float(np.mean(treated[:first_post] - comparison[:first_post]))
    return [
        {"time": label, "observed": float(obs), "counterfactual": float(cf + gap)}
        for label, obs, cf in zip(panel.labels, treated, comparison, strict=True)
    ]


def _event_series(panel: Panel, adoption: dict[int, int], event: list[dict]) -> list[dict]:
    """For staggered starts, by periods since the start: the treated units' average outcome
    and that average less the estimated effect at that distance from the start."""
    rows = []
    for row in event:
        e = row["event_time"]
        values = [
            panel.outcome[i, a + e] for i, a in adoption.items() if 0 <= a + e < len(panel.keys)
        ]
        if values:
            observed = float(np.mean(values))
            rows.append(
                {"time": e, "observed": observed, "counterfactual": observed - row["estimate"]}
            )
    return rows
