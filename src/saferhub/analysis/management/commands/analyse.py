import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhub.analysis.weights import WEIGHTS_HELP

OUTPUT_HELP = "print the results as JSON (for other programs) instead of tables"
PLOT_HELP = (
    "also write the {what} to FILE: .png or .svg (an image), or .html (a page that works "
    "offline, with the same figures as a table and a Vega-Lite chart specification)"
)
SEED_HELP = "seed for the random permutations, so that a run can be repeated exactly"

DESCRIPTIONS = {
    "trends": (
        "Count events by calendar month (months with none count 0), optionally split by one "
        "or more columns such as theme or ward. Also shows seasonality (an index per month of "
        "the year, 100 = an average month; with 24 months or more, the seasonal effect from "
        "an STL decomposition) and compares the latest month, the year to date and the last 12 "
        "months with the same dates a year earlier (count, change and % change). Events come "
        "from a CSV or XLSX file, one row per event. See docs/analysis.md."
    ),
    "hotspots": (
        "Find hotspots and cold spots with the Getis-Ord Gi* statistic (PySAL esda.G_Local, "
        "each area counted with its neighbours, binary weights). For each area: the Gi* "
        "z-score (how far the area and its neighbours sit above or below what chance would "
        "give), the pseudo p-value from random permutations, and its class: hot or cold spot "
        "at 90, 95 or 99% confidence, or not significant. With --population the value is a "
        "count turned into a rate per 1,000 residents. Areas come from GeoJSON, GeoPackage or "
        "a shapefile. See docs/analysis.md."
    ),
    "autocorrelation": (
        "Measure whether similar values cluster across the whole map: global Moran's I with "
        "its expected value under no pattern, z-score and pseudo p-value, and Geary's C "
        "(PySAL esda.Moran and esda.Geary, row-standardised weights). Areas come from GeoJSON, "
        "GeoPackage or a shapefile. See docs/analysis.md."
    ),
    "near-repeat": (
        "Test for near repeats with the Knox test, as the Near Repeat Calculator: pairs of "
        "events are counted by distance band and time band, and each count is compared with "
        "the counts when the dates are shuffled over the locations (Monte Carlo). For each "
        "cell: observed and expected pairs, the Knox ratio (observed / expected) and a "
        "p-value. Bands are separate, not cumulative: 0-100,101-200 means up to 100 metres, "
        "then over 100 up to 200; pairs beyond the last band get a 'more than' row or column. "
        "Coordinates must be in metres (British National Grid eastings and northings). Events "
        "come from a CSV or XLSX file. See docs/analysis.md."
    ),
}


class Command(BaseCommand):
    help = "Analyse events or areas: trends, hotspots, spatial autocorrelation, near repeats."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ANALYSIS")

        trends = actions.add_parser(
            "trends",
            help="Counts by month, seasonality and the same period last year",
            description=DESCRIPTIONS["trends"],
        )
        trends.add_argument(
            "--events", type=Path, required=True, metavar="FILE", help="the events (CSV or XLSX)"
        )
        trends.add_argument(
            "--date",
            required=True,
            metavar="COL",
            help="the column with each event's date (2026-03-31 or 31/03/2026)",
        )
        trends.add_argument(
            "--by",
            nargs="+",
            default=[],
            metavar="COL",
            help="split the counts by these columns (for example --by theme ward)",
        )
        _common_outputs(trends, "line chart of counts by month")

        for name, what in (("hotspots", "hotspot map"), ("autocorrelation", "Moran scatter plot")):
            areas = actions.add_parser(
                name,
                help=(
                    "Getis-Ord Gi* hotspots and cold spots per area"
                    if name == "hotspots"
                    else "Global Moran's I and Geary's C"
                ),
                description=DESCRIPTIONS[name],
            )
            areas.add_argument(
                "--areas",
                type=Path,
                required=True,
                metavar="FILE",
                help="the areas (GeoJSON, GeoPackage or shapefile), one row per area",
            )
            areas.add_argument(
                "--id", required=True, metavar="COL", help="the column naming each area"
            )
            areas.add_argument(
                "--value",
                required=True,
                metavar="COL",
                help="the column with each area's number (a count, a rate or any measure)",
            )
            if name == "hotspots":
                areas.add_argument(
                    "--population",
                    metavar="COL",
                    help="the column with each area's residents: the value becomes a rate "
                    "per 1,000 residents",
                )
            areas.add_argument(
                "--weights",
                default="queen",
                metavar="SPEC",
                help=f"which areas are neighbours: {WEIGHTS_HELP} (default: queen)",
            )
            areas.add_argument(
                "--permutations",
                type=int,
                default=999,
                metavar="N",
                help="random permutations for the pseudo p-values (default: 999; at "
                "least 199 to reach 99%% confidence)",
            )
            areas.add_argument("--seed", type=int, metavar="S", help=SEED_HELP)
            if name == "hotspots":
                areas.add_argument(
                    "--fdr",
                    action="store_true",
                    help="correct each confidence level for testing every area at once "
                    "(false discovery rate): fewer spots, each more certain",
                )
            _common_outputs(areas, what)

        near = actions.add_parser(
            "near-repeat",
            help="Knox test for near repeats over distance and time bands",
            description=DESCRIPTIONS["near-repeat"],
        )
        near.add_argument(
            "--events", type=Path, required=True, metavar="FILE", help="the events (CSV or XLSX)"
        )
        near.add_argument(
            "--x", required=True, metavar="COL", help="the column with each event's easting (m)"
        )
        near.add_argument(
            "--y", required=True, metavar="COL", help="the column with each event's northing (m)"
        )
        near.add_argument(
            "--date", required=True, metavar="COL", help="the column with each event's date"
        )
        near.add_argument(
            "--distance-bands",
            required=True,
            metavar="LIST",
            help="distance bands in metres, for example 0-0,1-100,101-200 (0-0 = same place)",
        )
        near.add_argument(
            "--time-bands",
            required=True,
            metavar="LIST",
            help="time bands in days, for example 0-7,8-14,15-21",
        )
        near.add_argument(
            "--iterations",
            type=int,
            default=999,
            metavar="N",
            help="Monte Carlo runs, each shuffling the dates over the locations (default: 999)",
        )
        near.add_argument("--seed", type=int, metavar="S", help=SEED_HELP)
        _common_outputs(near, "heat map of Knox ratios")

    def handle(self, *args, **options) -> None:
        from saferhub.analysis.reading import AnalysisError

        action = options["action"]
        try:
            output, result, areas = getattr(self, "_" + action.replace("-", "_"))(options)
            if options.get("plot"):
                from saferhub.analysis.plots import write_plot

                write_plot(result, options["plot"], areas=areas)
        except AnalysisError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(_clean(output), indent=2, default=str))
        else:
            self.stdout.write(_text(output))
        if options.get("plot"):
            self.stderr.write(f"Wrote {options['plot']}.")

    def _trends(self, options):
        from saferhub.analysis import read_events, trends

        path = options["events"]
        result = trends(read_events(path), date=options["date"], by=options["by"], source=str(path))
        output = {
            "first_date": result.first_date.date(),
            "last_date": result.last_date.date(),
            "by": result.by,
            "comparison": result.comparison,
            "monthly": result.monthly.assign(month=result.monthly["month"].dt.strftime("%Y-%m")),
            "seasonality": result.seasonality,
        }
        return output, result, None

    def _hotspots(self, options):
        from saferhub.analysis import hotspots, read_areas

        path = options["areas"]
        areas = read_areas(path)
        result = hotspots(
            areas,
            id=options["id"],
            value=options["value"],
            population=options["population"],
            weights=options["weights"],
            permutations=options["permutations"],
            seed=options["seed"],
            fdr=options["fdr"],
            source=str(path),
        )
        output = {
            "weights": result.weights,
            "permutations": result.permutations,
            "seed": result.seed,
            "fdr": result.fdr,
            "value": "rate per 1,000 residents" if result.rate_per else options["value"],
            "classes": result.counts(),
            "areas": result.table,
        }
        return output, result, areas

    def _autocorrelation(self, options):
        from saferhub.analysis import autocorrelation, read_areas

        path = options["areas"]
        result = autocorrelation(
            read_areas(path),
            id=options["id"],
            value=options["value"],
            weights=options["weights"],
            permutations=options["permutations"],
            seed=options["seed"],
            source=str(path),
        )
        return result.summary(), result, None

    def _near_repeat(self, options):
        from saferhub.analysis import near_repeat, read_events

        path = options["events"]
        result = near_repeat(
            read_events(path),
            x=options["x"],
            y=options["y"],
            date=options["date"],
            distance_bands=options["distance_bands"],
            time_bands=options["time_bands"],
            iterations=options["iterations"],
            seed=options["seed"],
            source=str(path),
        )
        output = {
            "events": result.events,
            "pairs": result.pairs,
            "iterations": result.iterations,
            "seed": result.seed,
            "cells": result.cells,
        }
        return output, result, None


def _common_outputs(parser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=OUTPUT_HELP)
    parser.add_argument("--plot", type=Path, metavar="FILE", help=PLOT_HELP.format(what=what))


def _clean(value):
    """JSON-ready: DataFrames as lists of rows, NaN and missing values as null."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return _clean(value.astype(object).where(value.notna(), None).to_dict(orient="records"))
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # NumPy scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _text(output: dict) -> str:
    """Plain tables: single figures first, then each table under its name."""
    import pandas as pd

    lines, tables = [], []
    for name, value in output.items():
        if isinstance(value, pd.DataFrame):
            tables.append((name, value))
        elif isinstance(value, dict):
            lines.append(f"{name}: " + ", ".join(f"{k} {v}" for k, v in value.items()))
        elif isinstance(value, list):
            lines.append(f"{name}: " + (", ".join(map(str, value)) or "(none)"))
        elif isinstance(value, float):
            lines.append(f"{name}: {value:.4g}")
        else:
            lines.append(f"{name}: {value}")
    for name, table in tables:
        shown = table.drop(columns=["geometry"], errors="ignore")
        text = shown.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4g}")
        lines += ["", f"{name}:", text]
    return "\n".join(lines)
