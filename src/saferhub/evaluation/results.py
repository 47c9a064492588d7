"""What every evaluation method returns: the estimate, the checks, the strength of evidence.

An `EvaluationResult` is the same whichever method made it, so the command line, a notebook and
(later) the initiatives register read it the same way; `.to_dict()` is the command's JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# The Maryland Scientific Methods Scale (Sherman et al. 1997; the What Works Centre for Local
# Economic Growth's version): 2 = before and after in the treated place only (a single series,
# an interrupted time series); 3 = before and after with a comparison group that did not get
# the initiative (difference-in-differences, synthetic control). Levels 4 and 5 need
# as-good-as-random assignment or randomisation, which no method here can supply.
MSMS_MEANING = {
    1: "a correlation at one point in time, with no comparison",
    2: "a before-and-after comparison of the treated place alone",
    3: "a before-and-after comparison against places that did not get the initiative",
    4: "a comparison with controls as good as randomly chosen",
    5: "a randomised trial",
}

# Pre-period fit is judged against the size of the outcome: a typical gap before the start of
# at most a tenth of the outcome's average level is a close enough fit to trust the
# comparison; more, and the "what would have happened" line was off before anything changed.
FIT_TOLERANCE = 0.10


@dataclass
class Check:
    """One assumption check. `passed` is True, False, or None when the data cannot test it."""

    name: str
    passed: bool | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "message": self.message}


@dataclass
class EvaluationResult:
    """An impact estimate, its uncertainty, the checks behind it and a plain conclusion.

    `effect` is the average change per post period (per treated unit for panels): observed
    minus the counterfactual, in the outcome's own units; `effect_total` adds it up over every
    treated unit and post period. `series` holds {time, observed, counterfactual} for the
    treated unit (or the treated units' average) at every period.
    """

    method: str
    outcome: str
    effect: float
    effect_total: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    series: list[dict[str, Any]]
    msms_level: int
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pre_rmspe: float | None = None
    weights: dict[str, float] | None = None
    conclusion: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def msms_meaning(self) -> str:
        return MSMS_MEANING[self.msms_level]

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: floats, not NumPy numbers; NaN and infinity as None."""
        data = {
            "method": self.method,
            "outcome": self.outcome,
            "effect": self.effect,
            "effect_total": self.effect_total,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "pre_rmspe": self.pre_rmspe,
            "weights": self.weights,
            "series": self.series,
            "checks": [check.to_dict() for check in self.checks],
            "warnings": list(self.warnings),
            "msms_level": self.msms_level,
            "msms_meaning": self.msms_meaning,
            "conclusion": self.conclusion,
            "details": self.details,
        }
        return _plain(data)


def _plain(value: Any) -> Any:
    """NumPy scalars to Python ones and non-finite floats to None, recursively, for JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def format_number(value: float | None) -> str:
    """A number as a person would write it: 11,864 not 1.186e+04; 0.0042 not 4.2e-03."""
    if value is None or not math.isfinite(value):
        return "-"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    if size >= 0.01 or size == 0:
        return f"{value:.3g}" if size < 1 else f"{value:.2f}"
    return f"{value:.2g}"


def conclusion_text(result: EvaluationResult, *, alpha: float = 0.05) -> str:
    """A plain-English conclusion: direction, size, how sure, how strong the design is."""
    effect, unit = result.effect, result.details.get("per", "per period")
    direction = "higher" if effect > 0 else "lower"
    size = f"{format_number(abs(effect))} {direction} {unit}"
    if result.effect_total and math.isfinite(result.effect_total):
        total = format_number(result.effect_total)
        size += f" ({'+' if result.effect_total > 0 else ''}{total} in total after the start)"
    p = result.p_value
    if p is None:
        sure = "There is no test of whether this could be chance."
    elif p < alpha:
        sure = (
            f"A difference this large would be unlikely if the initiative had no effect "
            f"(p = {p:.3g})."
        )
    else:
        sure = (
            f"A difference this large could easily arise by chance (p = {p:.3g}), so the data do "
            "not show an effect either way."
        )
    failed = [check.name for check in result.checks if check.passed is False]
    caution = (
        f" Treat it with caution: the {', '.join(failed)} check{'s' if len(failed) > 1 else ''} "
        "failed (see the checks)."
        if failed
        else ""
    )
    return (
        f"{result.outcome} was {size} than the estimate of what would have happened without "
        f"the initiative. {sure} The design reaches level {result.msms_level} of the Maryland "
        f"Scientific Methods Scale: {result.msms_meaning}.{caution}"
    )


@dataclass
class EconomicView:
    """Cost per incident averted and what the averted incidents would have cost."""

    incidents_averted: float
    cost: float
    cost_per_incident_averted: float | None
    value_of_incidents_averted: float | None
    net_benefit: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return _plain(self.__dict__.copy())


def economic_view(
    effect_total: float, *, cost: float, unit_cost: float | None = None
) -> EconomicView:
    """The initiative's cost per incident averted and, given what one incident costs (the
    `unit_cost`, e.g. from the Home Office's economic and social costs of crime), the value of
    the incidents averted and the net benefit.

    `effect_total` is the result's total change in incidents: negative when incidents fell,
    so the incidents averted are its negative.

    >>> economic_view(-40, cost=20_000, unit_cost=1_200).cost_per_incident_averted
    500.0
    """
    averted = -float(effect_total)
    if averted <= 0:
        return EconomicView(
            incidents_averted=averted,
            cost=cost,
            cost_per_incident_averted=None,
            value_of_incidents_averted=None if unit_cost is None else averted * unit_cost,
            net_benefit=None if unit_cost is None else averted * unit_cost - cost,
            message=(
                f"The estimate shows no incidents averted ({-averted:+,.4g} incidents), so "
                f"there is no cost per incident averted: the £{cost:,.0f} bought no fall."
            ),
        )
    per = cost / averted
    message = f"About {averted:,.4g} incidents averted at £{per:,.2f} each."
    value = net = None
    if unit_cost is not None:
        value = averted * unit_cost
        net = value - cost
        verdict = "more than" if net > 0 else "less than"
        message += (
            f" At £{unit_cost:,.2f} an incident they would have cost £{value:,.0f}, "
            f"{verdict} the initiative's £{cost:,.0f} (net £{net:+,.0f})."
        )
    return EconomicView(averted, cost, per, value, net, message)
