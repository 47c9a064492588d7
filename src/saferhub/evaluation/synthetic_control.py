"""Synthetic control: build a "synthetic" version of the treated place from a weighted blend of
places that did not get the initiative (the donors), chosen so that the blend tracked the
treated place closely before the start. After the start, the blend shows what would have
happened; the gap is the effect (Abadie, Diamond and Hainmueller 2010).

The weights are never negative and add up to one, so the synthetic place is a genuine average
of real places, not an extrapolation. They are found by non-negative least squares with the
add-up-to-one constraint folded in as a heavily weighted extra row, then solved exactly on the
donors that get weight: a finite method that cannot stall the way a general-purpose optimiser
can on this problem.

With covariates (predictor matching), the blend matches the treated place's predictors (the
covariates' averages before the start, and the outcome in chosen years); how much each
predictor counts (the diagonal matrix V) is chosen, as in Abadie et al., to make the blend's
outcome before the start closest to the treated place's: a nested optimisation, V outside,
the weights inside.

Inference is by placebos in space: each donor in turn is treated as if it had the initiative,
and its post/pre ratio of prediction errors is compared with the treated place's. The p-value is
the treated place's rank among them. Leave-one-out refits drop each donor with weight in turn,
to show whether the result hangs on one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from saferhub.evaluation.interrupted_time_series import pre_fit_check
from saferhub.evaluation.reading import EvaluationError, Panel, read_panel, start_index
from saferhub.evaluation.results import Check, EvaluationResult, conclusion_text

MIN_PRE_PERIODS = 8
# Random starting mixes of predictor importance tried by the nested optimisation, besides
# equal importance and each predictor alone; on Proposition 99 about one start in four finds
# the best fit, so twelve make missing it unlikely.
V_RANDOM_STARTS = 12
# Donors whose weight is below this are not "in" the synthetic place for leave-one-out.
MEANINGFUL_WEIGHT = 0.01


def simplex_least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Weights w >= 0 with sum(w) == 1 minimising ||a @ w - b||.

    Non-negative least squares with the sum-to-one constraint as an extra row weighted far
    above the others (so any solution that breaks it costs more than any fit can gain), then the
    equality-constrained least squares solved exactly on the donors that got weight.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n = a.shape[1]
    if n == 1:
        return np.ones(1)
    scale = max(1.0, float(np.linalg.norm(a)), float(np.linalg.norm(b)))
    heavy = 1e3 * scale
    augmented = np.vstack([a, np.full((1, n), heavy)])
    target = np.append(b, heavy)
    try:
        w, _ = optimize.nnls(augmented, target, maxiter=50 * n)
    except RuntimeError:  # too many iterations: fall back on an even split, refined below
        w = np.full(n, 1.0 / n)
    total = w.sum()
    w = w / total if total > 0 else np.full(n, 1.0 / n)
    support = np.flatnonzero(w > 1e-12)
    if len(support) > 1:
        # Exact solution on the support: minimise ||A_s w_s - b|| with sum(w_s) = 1 (KKT).
        sub = a[:, support]
        k = len(support)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = 2 * sub.T @ sub
        kkt[:k, k] = kkt[k, :k] = 1.0
        rhs = np.append(2 * sub.T @ b, 1.0)
        solution = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]
        if (solution >= -1e-12).all() and np.sum((sub @ solution - b) ** 2) <= np.sum(
            (a @ w - b) ** 2
        ) + 1e-12:
            w = np.zeros(n)
            w[support] = np.clip(solution, 0, None)
            w /= w.sum()
    return w


def _predictors(
    panel: Panel, first_post: int, covariates: Sequence[str], outcome_periods: Sequence[int]
) -> np.ndarray:
    """Units x predictors: each covariate averaged over the periods before the start that
    have it, then the outcome at each chosen period (or its average before the start)."""
    columns = []
    for name in covariates:
        before = panel.covariates[name][:, :first_post]
        with np.errstate(invalid="ignore"):
            means = np.nanmean(before, axis=1) if np.isfinite(before).any() else None
        if means is None or np.isnan(means).any():
            unit = panel.units[int(np.flatnonzero(np.isnan(means))[0])] if means is not None else ""
            raise EvaluationError(
                f"The covariate {name!r} has no value before the start"
                + (f" for unit {unit!r}" if unit else "")
            )
        columns.append(means)
    if outcome_periods:
        columns.extend(panel.outcome[:, t] for t in outcome_periods)
    else:
        columns.append(panel.outcome[:, :first_post].mean(axis=1))
    return np.column_stack(columns)


class _Fit:
    def __init__(self, weights, synthetic, pre_rmspe, post_rmspe, v=None) -> None:
        self.weights, self.synthetic, self.v = weights, synthetic, v
        self.pre_rmspe, self.post_rmspe = pre_rmspe, post_rmspe


def _fit(
    y: np.ndarray,
    treated: int,
    donors: np.ndarray,
    first_post: int,
    predictors: np.ndarray | None,
    fixed_v: np.ndarray | None = None,
) -> _Fit:
    """Weights for `treated` from `donors` (unit indices into y and predictors)."""
    target_pre = y[treated, :first_post]
    donors_pre = y[donors, :first_post].T
    if predictors is None:
        weights = simplex_least_squares(donors_pre, target_pre)
        v = None
    else:
        # Each predictor on a common scale (its spread across units), as Synth does, so that
        # V compares like with like.
        spread = predictors.std(axis=0)
        spread[spread == 0] = 1.0
        scaled = predictors / spread
        x1, x0 = scaled[treated], scaled[donors].T

        def weights_for(v: np.ndarray) -> np.ndarray:
            root = np.sqrt(v)[:, None]
            return simplex_least_squares(root * x0, root[:, 0] * x1)

        def loss(theta: np.ndarray) -> float:
            v = _softmax(theta)
            return float(np.mean((donors_pre @ weights_for(v) - target_pre) ** 2))

        k = x0.shape[0]
        if fixed_v is not None:
            best_v = fixed_v
        else:
            # The loss has many local minima in V (several predictor mixes give the same blend),
            # so start from equal importance, from each predictor counting most, and from a
            # fixed set of random mixes (seeded: the same data always gives the same answer),
            # then polish the best.
            random = np.random.default_rng(20100601)
            starts = [np.zeros(k)]
            starts.extend(np.where(np.arange(k) == j, 2.0, 0.0) for j in range(k))
            starts.extend(np.log(random.dirichlet(np.ones(k))) for _ in range(V_RANDOM_STARTS))
            rough = {"maxiter": 150 * k, "xatol": 1e-4, "fatol": 1e-8}
            found = [
                optimize.minimize(loss, s, method="Nelder-Mead", options=rough) for s in starts
            ]
            best = min(found, key=lambda f: f.fun)
            fine = {"maxiter": 500 * k, "xatol": 1e-7, "fatol": 1e-11}
            polished = optimize.minimize(loss, best.x, method="Nelder-Mead", options=fine)
            best_v = _softmax(polished.x if polished.fun <= best.fun else best.x)
        v = best_v
        weights = weights_for(v)
    synthetic = y[donors].T @ weights
    gaps = y[treated] - synthetic
    pre = float(np.sqrt(np.mean(gaps[:first_post] ** 2)))
    post = float(np.sqrt(np.mean(gaps[first_post:] ** 2)))
    return _Fit(weights, synthetic, pre, post, v)


def _softmax(theta: np.ndarray) -> np.ndarray:
    e = np.exp(theta - theta.max())
    return e / e.sum()


def synthetic_control(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: str,
    start: object,
    covariates: Sequence[str] = (),
    outcome_periods: Sequence[object] = (),
    donors: Sequence[str] | None = None,
    placebo: bool = True,
    leave_one_out: bool = True,
    refit_importance: bool = False,
    alpha: float = 0.05,
) -> EvaluationResult:
    """Estimate the effect on one treated unit by synthetic control.

    `data` is a balanced panel, one row per unit and period. Without `covariates` the weights
    match the outcome in every period before the start. With `covariates`, the weights match
    predictors: each covariate's average before the start (blank cells are skipped, so a
    covariate may cover only some years) and the outcome in each of `outcome_periods` (by
    default its average before the start), with predictor importance chosen by the nested
    optimisation of Abadie et al. `donors` limits the comparison units (default: every other
    unit). `placebo` runs the in-space placebo test for the p-value; `leave_one_out` refits
    without each donor that has weight. With predictor matching those refits keep the treated
    unit's predictor importance V unless `refit_importance` (slower: a search per refit).

    >>> result = synthetic_control(panel, unit="area", time="month", outcome="fires",
    ...                            treated="Dundee City", start="2022-01")  # doctest: +SKIP
    >>> result.weights  # doctest: +SKIP
    """
    panel = read_panel(data, unit=unit, time=time, outcome=outcome, covariates=covariates)
    target = panel.unit_index(treated)
    if donors is None:
        pool = np.array([i for i in range(len(panel.units)) if i != target])
    else:
        pool = np.array(sorted({panel.unit_index(d, option="donor") for d in donors} - {target}))
    if len(pool) < 2:
        raise EvaluationError(
            "A synthetic control needs at least two comparison units besides the treated one; "
            f"the data has {len(pool)}"
        )
    first_post = start_index(panel.keys, panel.periods.key_of(start), column=time)
    if first_post < 2:
        raise EvaluationError(
            f"Too few periods before the start: {first_post}; a synthetic control needs several "
            "to find the weights"
        )
    lag_positions = []
    for period in outcome_periods:
        key = panel.periods.key_of(period, option="outcome period")
        position = int(np.searchsorted(panel.keys, key))
        if position >= first_post or panel.keys[position] != key:
            raise EvaluationError(
                f"Outcome period {period} is not a period before the start in the data"
            )
        lag_positions.append(position)
    predictors = (
        _predictors(panel, first_post, covariates, lag_positions)
        if covariates or outcome_periods
        else None
    )
    y = panel.outcome
    fit = _fit(y, target, pool, first_post, predictors)
    # Placebo and leave-one-out fits keep the treated unit's predictor importance unless asked
    # to search again: a fresh search for each multiplies the time by the number of donors.
    keep_v = None if refit_importance else fit.v
    gaps = y[target] - fit.synthetic
    effect = float(np.mean(gaps[first_post:]))
    warnings: list[str] = []
    details: dict = {
        "per": "per period after the start",
        "periods_before": first_post,
        "periods_after": len(panel.keys) - first_post,
        "donors": len(pool),
        "post_rmspe": fit.post_rmspe,
        "predictor_matching": predictors is not None,
        "ci": "none: synthetic control has no sampling interval; the p-value is from placebos",
    }
    if fit.v is not None:
        names = [*covariates] + (
            [f"{outcome} in {panel.labels[t]}" for t in lag_positions]
            or [f"{outcome} (average before the start)"]
        )
        details["predictor_importance"] = dict(zip(names, map(float, fit.v), strict=True))
    p_value = None
    if placebo:
        placebos = []
        for j in pool:
            others = np.array([d for d in pool if d != j])
            other_fit = _fit(y, j, others, first_post, predictors, keep_v)
            placebo_gaps = y[j] - other_fit.synthetic
            placebos.append(
                {
                    "unit": panel.units[j],
                    "pre_rmspe": other_fit.pre_rmspe,
                    "post_rmspe": other_fit.post_rmspe,
                    "ratio": _ratio(other_fit),
                    "effect": float(np.mean(placebo_gaps[first_post:])),
                    "gaps": [float(g) for g in placebo_gaps],
                }
            )
        ratio = _ratio(fit)
        as_extreme = sum(p["ratio"] >= ratio for p in placebos)
        p_value = (1 + as_extreme) / (1 + len(placebos))
        details["placebo"] = placebos
        details["post_pre_ratio"] = ratio
        if 1 / (1 + len(placebos)) > alpha:
            warnings.append(
                f"With {len(placebos)} donors the smallest possible placebo p-value is "
                f"{1 / (1 + len(placebos)):.3g}: too few units to reach p < {alpha}"
            )
    if leave_one_out:
        dropped = []
        for j in pool[fit.weights >= MEANINGFUL_WEIGHT]:
            others = np.array([d for d in pool if d != j])
            other_fit = _fit(y, target, others, first_post, predictors, keep_v)
            dropped.append(
                {
                    "without": panel.units[j],
                    "effect": float(
                        np.mean(y[target, first_post:] - other_fit.synthetic[first_post:])
                    ),
                    "pre_rmspe": other_fit.pre_rmspe,
                }
            )
        details["leave_one_out"] = dropped
        fragile = [
            d["without"]
            for d in dropped
            if np.sign(d["effect"]) != np.sign(effect)
            or abs(d["effect"] - effect) > abs(effect) / 2
        ]
        if fragile:
            warnings.append(
                "The result hangs on particular donors: without "
                + ", ".join(fragile)
                + " the effect changes sign or by more than half"
            )
    checks = [
        _enough_pre(first_post),
        pre_fit_check(fit.pre_rmspe, y[target, :first_post], what="the synthetic control"),
        _within_donors(y, target, pool, first_post, panel.units[target]),
    ]
    warnings[:0] = [c.message for c in checks if c.passed is False]
    result = EvaluationResult(
        method="synthetic-control",
        outcome=outcome,
        effect=effect,
        effect_total=float(np.sum(gaps[first_post:])),
        ci_low=None,
        ci_high=None,
        p_value=p_value,
        series=[
            {"time": label, "observed": float(obs), "counterfactual": float(cf)}
            for label, obs, cf in zip(panel.labels, y[target], fit.synthetic, strict=True)
        ],
        msms_level=3,
        checks=checks,
        warnings=warnings,
        pre_rmspe=fit.pre_rmspe,
        weights={
            panel.units[j]: float(w)
            for w, j in sorted(zip(fit.weights, pool, strict=True), key=lambda p: -p[0])
        },
        details=details,
    )
    result.conclusion = conclusion_text(result, alpha=alpha)
    return result


def _ratio(fit: _Fit) -> float:
    return fit.post_rmspe / fit.pre_rmspe if fit.pre_rmspe > 0 else np.inf


def _enough_pre(before: int) -> Check:
    if before >= MIN_PRE_PERIODS:
        return Check(
            "enough pre-period",
            True,
            f"{before} periods before the start to find the weights: enough to tell a donor "
            "blend that really tracks the treated unit from one that fits by luck",
        )
    return Check(
        "enough pre-period",
        False,
        f"Only {before} periods before the start; at least {MIN_PRE_PERIODS} are needed, or "
        "the blend of donors may fit the few periods by luck and show nothing after",
    )


def _within_donors(y, target, pool, first_post, name) -> Check:
    """A blend (an average) of donors can never be above all of them or below all of them."""
    level = y[target, :first_post].mean()
    donor_levels = y[pool, :first_post].mean(axis=1)
    if donor_levels.min() <= level <= donor_levels.max():
        return Check(
            "comparable donors",
            True,
            f"{name}'s average before the start lies within the donors' range, so a blend of "
            "them can match it",
        )
    side = "above" if level > donor_levels.max() else "below"
    return Check(
        "comparable donors",
        False,
        f"{name}'s average before the start is {side} every donor's: no blend of them can "
        "match it, so the synthetic control will be off",
    )
