import json
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.evaluation import (
    EvaluationError,
    EvaluationResult,
    did_2x2,
    did_panel,
    economic_view,
    interrupted_time_series,
    plot_result,
    read_table,
    synthetic_control,
)
from saferhub.evaluation.results import format_number

COMMON = (
    "--data reads a CSV or XLSX file with the column headings on the first row; errors name "
    "the column and the data row (row 1 is the first row under the headings). --json prints "
    "the result as JSON (method, effect, effect_total, ci_low, ci_high, p_value, pre_rmspe, "
    "weights, series, checks, warnings, msms_level, conclusion, details). See "
    "docs/evaluation.md."
)

DESCRIPTIONS = {
    "its": (
        "Interrupted time series: one series (one row per period) before and after the start. "
        "By default a segmented regression (trend, a jump in level and a change of slope at the "
        "start, optional seasonal pattern and covariates) with first-order autocorrelated "
        "errors (a busy month tends to follow a busy month); --structural fits a structural "
        "time-series model instead (a "
        "wandering level, a drifting season, a step at the start). Reaches level 2 of the "
        "Maryland Scientific Methods Scale. "
    ),
    "did": (
        "Difference-in-differences: the change where the initiative ran minus the change, over "
        "the same time, where it did not. Two forms. A 2x2 (--group and --post, one row per "
        "observation): group and period indicators and their product, robust errors. A panel "
        "(--unit, --time, --treated, --start, one row per unit and period): unit and period "
        "fixed effects, errors clustered by unit, and an event study of the periods before and "
        "after the start that tests whether the groups moved in parallel beforehand. When "
        "treated units start at different times (--treated NAME=PERIOD), it warns and uses "
        "Callaway and Sant'Anna's estimator, comparing each group of starters only with units "
        "not yet treated. Reaches level 3 of the Maryland Scientific Methods Scale. "
    ),
    "synthetic-control": (
        "Synthetic control: a weighted blend of comparison units (donors; weights not negative, "
        "adding up to one) that tracked the treated unit before the start shows what would have "
        "happened after it. With --covariates the blend matches predictors (the covariates' "
        "averages before the start and the outcome in --outcome-periods), their importance "
        "chosen by the nested optimisation of Abadie, Diamond and Hainmueller (2010). The "
        "p-value is from in-space placebos (each donor treated in turn); leave-one-out refits "
        "show whether the result hangs on one donor. Reaches level 3 of the Maryland Scientific "
        "Methods Scale. "
    ),
}

CHECK_MARK = {True: "pass", False: "FAIL", None: "n/a "}


class Command(BaseCommand):
    help = (
        "Estimate an initiative's impact: interrupted time series, difference-in-differences "
        "or synthetic control, with assumption checks and the strength of evidence."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        methods = parser.add_subparsers(dest="method", required=True, metavar="METHOD")
        its = methods.add_parser(
            "its",
            help="Interrupted time series on one series (segmented regression or structural)",
            description=DESCRIPTIONS["its"] + COMMON,
        )
        _data(its)
        its.add_argument("--time", required=True, metavar="COL", help="the period column")
        _outcome(its)
        _start(its, required=True)
        its.add_argument(
            "--seasonal",
            type=int,
            metavar="N",
            help="periods in a seasonal cycle (12 for monthly data, 4 for quarterly)",
        )
        its.add_argument(
            "--log",
            action="store_true",
            help="model the outcome's logarithm, so the change is a percentage (the effect is "
            "still reported in the outcome's units)",
        )
        its.add_argument(
            "--structural",
            action="store_true",
            help="a structural time-series model (statsmodels UnobservedComponents) instead of "
            "segmented regression",
        )
        its.add_argument(
            "--covariates",
            nargs="+",
            default=[],
            metavar="COL",
            help="other columns that explain the outcome (e.g. population, petrol price)",
        )
        _output(its)

        did = methods.add_parser(
            "did",
            help="Difference-in-differences: a 2x2 (--group, --post) or a panel (--unit, --time, "
            "--treated, --start)",
            description=DESCRIPTIONS["did"] + COMMON,
        )
        _data(did)
        _outcome(did)
        two = did.add_argument_group("a 2x2 (one row per observation)")
        two.add_argument("--group", metavar="COL", help="1 for the treated group, 0 otherwise")
        two.add_argument("--post", metavar="COL", help="1 after the start, 0 before")
        two.add_argument(
            "--errors",
            choices=["robust", "classical"],
            default="robust",
            help="robust (HC1, the default) or classical OLS standard errors",
        )
        panel = did.add_argument_group("a panel (one row per unit and period)")
        panel.add_argument("--unit", metavar="COL", help="the unit column (area, ward, ...)")
        panel.add_argument("--time", metavar="COL", help="the period column")
        panel.add_argument(
            "--treated",
            action="append",
            default=[],
            metavar="NAME",
            help="a unit that got the initiative (repeat for more); NAME=PERIOD for a unit that "
            "started at its own time (staggered adoption)",
        )
        _start(panel, required=False)
        panel.add_argument(
            "--comparison",
            choices=["auto", "never", "not-yet"],
            default="auto",
            help="for staggered starts: compare with never-treated units, with units not yet "
            "treated, or (auto, the default) never-treated if there are any",
        )
        did.add_argument(
            "--controls",
            nargs="+",
            default=[],
            metavar="COL",
            help="control variables (numeric columns) added to the regression",
        )
        _output(did)

        synth = methods.add_parser(
            "synthetic-control",
            help="Synthetic control for one treated unit, with placebo p-value and leave-one-out",
            description=DESCRIPTIONS["synthetic-control"] + COMMON,
        )
        _data(synth)
        synth.add_argument("--unit", required=True, metavar="COL", help="the unit column")
        synth.add_argument("--time", required=True, metavar="COL", help="the period column")
        _outcome(synth)
        synth.add_argument(
            "--treated", required=True, metavar="NAME", help="the unit that got the initiative"
        )
        _start(synth, required=True)
        synth.add_argument(
            "--covariates",
            nargs="+",
            default=[],
            metavar="COL",
            help="predictors to match, each averaged over the periods before the start that "
            "have a value (blank cells are skipped)",
        )
        synth.add_argument(
            "--outcome-periods",
            nargs="+",
            default=[],
            metavar="PERIOD",
            help="with --covariates: also match the outcome in these periods before the start "
            "(by default its average before the start)",
        )
        synth.add_argument(
            "--donors",
            nargs="+",
            metavar="NAME",
            help="only these comparison units (by default every other unit)",
        )
        synth.add_argument(
            "--no-placebo", action="store_true", help="skip the placebo test (no p-value)"
        )
        synth.add_argument(
            "--no-leave-one-out", action="store_true", help="skip the leave-one-out refits"
        )
        _output(synth)

    def handle(self, *args, **options) -> None:
        try:
            data = read_table(options["data"])
            result = ESTIMATORS[options["method"]](data, options)
            economic = None
            if options["cost"] is not None:
                economic = economic_view(
                    result.effect_total, cost=options["cost"], unit_cost=options["unit_cost"]
                )
            if options["plot"]:
                plot_result(result, options["plot"])
        except EvaluationError as exc:
            raise CommandError(str(exc)) from None
        except (np.linalg.LinAlgError, ValueError) as exc:
            # A model that cannot be estimated on these data (e.g. a column that is constant):
            # say so plainly rather than show a traceback.
            raise CommandError(f"The model cannot be estimated on these data: {exc}") from None
        if options["json"]:
            data = result.to_dict()
            if economic is not None:
                data["economic"] = economic.to_dict()
            self.stdout.write(json.dumps(data, indent=2, default=str))
            return
        self.stdout.write(_summary(result))
        if economic is not None:
            self.stdout.write(f"\nEconomic view: {economic.message}")
        if options["plot"]:
            self.stdout.write(f"\nChart written to {options['plot']}")


def _data(parser) -> None:
    parser.add_argument(
        "--data", required=True, type=Path, metavar="FILE", help="the data: a CSV or XLSX file"
    )


def _outcome(parser) -> None:
    parser.add_argument(
        "--outcome", required=True, metavar="COL", help="the outcome column (a count or rate)"
    )


def _start(parser, *, required: bool) -> None:
    parser.add_argument(
        "--start",
        required=required,
        metavar="PERIOD",
        help="the first period the initiative ran, as in the time column (2023, 2023-04, "
        "2023-04-01)",
    )


def _output(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="write observed against counterfactual (and the event study for a panel) to a "
        ".png or .svg file",
    )
    parser.add_argument(
        "--cost",
        type=float,
        metavar="AMOUNT",
        help="what the initiative cost: adds the cost per incident averted",
    )
    parser.add_argument(
        "--unit-cost",
        type=float,
        metavar="AMOUNT",
        help="with --cost: what one incident costs, to weigh the incidents averted against it",
    )


def _its(data, options) -> EvaluationResult:
    return interrupted_time_series(
        data,
        time=options["time"],
        outcome=options["outcome"],
        start=options["start"],
        seasonal=options["seasonal"],
        log=options["log"],
        structural=options["structural"],
        covariates=options["covariates"],
    )


def _did(data, options) -> EvaluationResult:
    two_by_two = options["group"] or options["post"]
    panel = options["unit"] or options["time"] or options["treated"]
    if two_by_two and panel:
        raise EvaluationError(
            "Give either --group and --post (a 2x2) or --unit, --time, --treated and --start "
            "(a panel), not both"
        )
    if two_by_two:
        if not (options["group"] and options["post"]):
            raise EvaluationError("A 2x2 difference-in-differences needs both --group and --post")
        return did_2x2(
            data,
            outcome=options["outcome"],
            group=options["group"],
            post=options["post"],
            controls=options["controls"],
            errors=options["errors"],
        )
    missing = [flag for flag in ("unit", "time", "treated") if not options[flag]]
    if missing:
        raise EvaluationError(
            "A panel difference-in-differences needs "
            + ", ".join(f"--{flag}" for flag in missing)
            + " (or give --group and --post for a 2x2)"
        )
    treated: dict[str, str] | list[str]
    if any("=" in name for name in options["treated"]):
        names = (
            set(data[options["unit"]].astype(str).str.strip()) if options["unit"] in data else set()
        )
        treated = {}
        for given in options["treated"]:
            # A unit whose own name has "=" in it is taken whole.
            name, _, when = given.rpartition("=") if given not in names else (given, "", "")
            if not when:
                if options["start"] is None:
                    raise EvaluationError(f"No start for --treated {given!r}: give NAME=PERIOD")
                name, when = given, options["start"]
            treated[name] = when
    else:
        treated = options["treated"]
        if options["start"] is None:
            raise EvaluationError("Give --start: the period the treated units started")
    return did_panel(
        data,
        unit=options["unit"],
        time=options["time"],
        outcome=options["outcome"],
        treated=treated,
        start=options["start"],
        controls=options["controls"],
        control_group=options["comparison"],
    )


def _synthetic_control(data, options) -> EvaluationResult:
    return synthetic_control(
        data,
        unit=options["unit"],
        time=options["time"],
        outcome=options["outcome"],
        treated=options["treated"],
        start=options["start"],
        covariates=options["covariates"],
        outcome_periods=options["outcome_periods"],
        donors=options["donors"],
        placebo=not options["no_placebo"],
        leave_one_out=not options["no_leave_one_out"],
    )


ESTIMATORS = {"its": _its, "did": _did, "synthetic-control": _synthetic_control}


def _number(value: float | None) -> str:
    return format_number(value)


def _summary(result: EvaluationResult) -> str:
    lines = [
        f"Method: {result.method}",
        f"Outcome: {result.outcome}",
        f"Effect: {_number(result.effect)} {result.details.get('per', '')}".rstrip(),
        f"Total effect: {_number(result.effect_total)}",
    ]
    if result.ci_low is not None:
        lines.append(f"95% interval: {_number(result.ci_low)} to {_number(result.ci_high)}")
    if result.p_value is not None:
        lines.append(f"p-value: {result.p_value:.3g}")
    if result.pre_rmspe is not None:
        lines.append(f"Pre-period RMSPE: {_number(result.pre_rmspe)}")
    if result.weights:
        shown = [
            f"{unit} {weight:.3f}" for unit, weight in result.weights.items() if weight >= 0.001
        ]
        lines.append("Donor weights: " + ", ".join(shown))
    lines.append("")
    lines.append("Checks:")
    lines.extend(f"  [{CHECK_MARK[c.passed]}] {c.name}: {c.message}" for c in result.checks)
    extra = [w for w in result.warnings if w not in {c.message for c in result.checks}]
    if extra:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  - {warning}" for warning in extra)
    lines.append("")
    lines.append(
        f"Strength of evidence: Maryland Scientific Methods Scale level {result.msms_level}"
    )
    lines.append("")
    lines.append(result.conclusion)
    return "\n".join(lines)
