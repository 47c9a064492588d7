"""Charts and maps of the results: PNG or SVG with matplotlib, or a self-contained HTML page.

The HTML page holds the chart as inline SVG (so it shows with no network), the same figures
as a table, and the chart's Vega-Lite specification (for the hub's pages to render
interactively). Nothing is fetched from a CDN.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from saferhub.analysis.reading import AnalysisError

if TYPE_CHECKING:
    import geopandas as gpd

FORMATS = (".png", ".svg", ".html")
VEGA_LITE = "https://vega.github.io/schema/vega-lite/v5.json"
# Colours for the hot/cold classes, as ArcGIS and GeoDa draw them (reds hot, blues cold).
SPOT_COLOURS = {
    "hot spot 99%": "#d7191c",
    "hot spot 95%": "#f07c4a",
    "hot spot 90%": "#fec980",
    "not significant": "#eeeeee",
    "cold spot 90%": "#c7e6f0",
    "cold spot 95%": "#75b3d8",
    "cold spot 99%": "#2c7bb6",
}
MAX_LINES = 8


def write_plot(
    result, path: str | Path, *, title: str | None = None, areas: gpd.GeoDataFrame | None = None
) -> Path:
    """Write the chart (or map) of any result of this package to `path` (.png, .svg, .html).

    Hotspot maps need the `areas` GeoDataFrame the result came from.
    """
    from saferhub.analysis.gi_star import Hotspots
    from saferhub.analysis.global_autocorrelation import Autocorrelation
    from saferhub.analysis.knox import NearRepeat
    from saferhub.analysis.time_trends import Trends

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise AnalysisError(f"Cannot write a plot to {path}: use .png, .svg or .html")
    if isinstance(result, Trends):
        figure, table, spec = _trends(result)
    elif isinstance(result, Hotspots):
        if areas is None:
            raise AnalysisError("A hotspot map needs the areas it was computed on")
        figure, table, spec = _hotspots(result, areas)
    elif isinstance(result, Autocorrelation):
        figure, table, spec = _autocorrelation(result)
    elif isinstance(result, NearRepeat):
        figure, table, spec = _near_repeat(result)
    else:
        raise TypeError(f"No plot for {type(result).__name__}")
    title = title or figure.axes[0].get_title()
    try:
        if suffix == ".html":
            path.write_text(_page(figure, table, spec, title), encoding="utf-8")
        else:
            figure.savefig(path, format=suffix[1:], bbox_inches="tight")
    except OSError as exc:
        raise AnalysisError(f"Cannot write {path}: {exc.strerror or exc}") from None
    return path


def _figure(width: float = 8, height: float = 4.5):
    # A Figure made directly (not through pyplot) keeps no global state between calls,
    # which matters in long-running notebooks and the web process.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _trends(result):
    figure, axes = _figure()
    monthly = result.monthly
    if result.by:
        totals = monthly.groupby(result.by)["count"].sum().sort_values(ascending=False)
        shown = list(totals.index[:MAX_LINES])
        for key in shown:
            key = key if isinstance(key, tuple) else (key,)
            mask = np.logical_and.reduce(
                [monthly[c] == v for c, v in zip(result.by, key, strict=True)]
            )
            part = monthly[mask]
            axes.plot(part["month"], part["count"], marker=".", label=" / ".join(map(str, key)))
        axes.legend(fontsize="small", title=", ".join(result.by))
    else:
        axes.plot(monthly["month"], monthly["count"], marker=".")
    title = "Events by month"
    last = result.last_date
    if not last.is_month_end:
        # The latest month usually stops short; the dip in the last point is not a fall.
        title += f" (the last month only to {last.day} {last:%b %Y})"
    axes.set_title(title)
    axes.set_ylabel("events")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    color = {"field": result.by[0], "type": "nominal"} if result.by else None
    spec = {
        "$schema": VEGA_LITE,
        "title": title,
        "data": {"values": _records(monthly)},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": "month"},
            "y": {"field": "count", "type": "quantitative", "title": "events"},
            **({"color": color} if color else {}),
        },
    }
    return figure, monthly, spec


def _hotspots(result, areas):
    figure, axes = _figure(8, 8)
    mapped = areas[[areas.geometry.name]].copy()
    mapped["spot"] = result.table["spot"].to_numpy()
    mapped["colour"] = mapped["spot"].map(SPOT_COLOURS)
    mapped.plot(ax=axes, color=mapped["colour"], edgecolor="#777777", linewidth=0.2)
    from matplotlib.patches import Patch

    counts = result.counts()
    axes.legend(
        handles=[Patch(color=SPOT_COLOURS[k], label=f"{k} ({n})") for k, n in counts.items()],
        loc="lower left",
        fontsize="small",
    )
    axes.set_axis_off()
    axes.set_title("Getis-Ord Gi* hotspots" + (" (FDR corrected)" if result.fdr else ""))
    shown = mapped.assign(id=result.table["id"].to_numpy(), gi_z=result.table["gi_z"].to_numpy())
    spec = {
        "$schema": VEGA_LITE,
        "title": axes.get_title(),
        "data": {
            "values": json.loads(shown[["id", "spot", "gi_z", mapped.geometry.name]].to_json())[
                "features"
            ]
        },
        "mark": {"type": "geoshape", "stroke": "#777777", "strokeWidth": 0.2},
        "encoding": {
            "color": {
                "field": "properties.spot",
                "type": "nominal",
                "scale": {"domain": list(SPOT_COLOURS), "range": list(SPOT_COLOURS.values())},
                "title": "class",
            },
            "tooltip": [
                {"field": "properties.id", "title": "area"},
                {"field": "properties.gi_z", "title": "Gi* z"},
            ],
        },
    }
    return figure, result.table, spec


def _autocorrelation(result):
    figure, axes = _figure(6, 6)
    scatter = result.scatter
    axes.scatter(scatter["value"], scatter["lag"], s=10, alpha=0.7)
    line = np.array([scatter["value"].min(), scatter["value"].max()])
    axes.plot(
        line, result.morans_i * line, color="#d7191c", label=f"Moran's I = {result.morans_i:.3f}"
    )
    axes.axhline(0, color="#999999", linewidth=0.5)
    axes.axvline(0, color="#999999", linewidth=0.5)
    axes.set_xlabel("value (standardised)")
    axes.set_ylabel("average of neighbours (spatial lag)")
    axes.set_title("Moran scatter plot")
    axes.legend()
    spec = {
        "$schema": VEGA_LITE,
        "title": f"Moran scatter plot (I = {result.morans_i:.3f})",
        "data": {"values": _records(scatter)},
        "layer": [
            {
                "mark": {"type": "point"},
                "encoding": {
                    "x": {
                        "field": "value",
                        "type": "quantitative",
                        "title": "value (standardised)",
                    },
                    "y": {"field": "lag", "type": "quantitative", "title": "spatial lag"},
                    "tooltip": [{"field": "id"}],
                },
            },
            {
                "mark": {"type": "line", "color": "#d7191c"},
                "transform": [{"regression": "lag", "on": "value"}],
                "encoding": {
                    "x": {"field": "value", "type": "quantitative"},
                    "y": {"field": "lag", "type": "quantitative"},
                },
            },
        ],
    }
    summary = pd.DataFrame([result.summary()])
    return figure, summary, spec


def _near_repeat(result):
    figure, axes = _figure(8, 5)
    ratios = result.matrix("knox_ratio")
    p_values = result.matrix("p_value")
    # Centred on 1 (as many pairs as chance): reds above, blues below.
    image = axes.imshow(ratios.to_numpy(dtype=float), cmap="RdBu_r", vmin=0, vmax=2, aspect="auto")
    for row in range(ratios.shape[0]):
        for column in range(ratios.shape[1]):
            ratio, p = ratios.iat[row, column], p_values.iat[row, column]
            star = "*" if p <= 0.05 and ratio > 1 else ""
            text = "no pairs" if np.isnan(ratio) else f"{ratio:.2f}{star}"
            axes.text(column, row, text, ha="center", va="center", fontsize="small")
    axes.set_xticks(range(ratios.shape[1]), ratios.columns, rotation=30, ha="right")
    axes.set_yticks(range(ratios.shape[0]), ratios.index)
    figure.colorbar(image, ax=axes, label="Knox ratio (observed / expected)")
    axes.set_title("Near repeats: Knox ratios (* p ≤ 0.05)")
    spec = {
        "$schema": VEGA_LITE,
        "title": "Near repeats: Knox ratios",
        "data": {"values": _records(result.cells)},
        "mark": "rect",
        "encoding": {
            "x": {"field": "time_band", "type": "ordinal", "sort": result.time_bands},
            "y": {"field": "distance_band", "type": "ordinal", "sort": result.distance_bands},
            "color": {
                "field": "knox_ratio",
                "type": "quantitative",
                "scale": {"scheme": "redblue", "reverse": True, "domainMid": 1},
            },
            "tooltip": [{"field": f} for f in ("observed", "expected", "knox_ratio", "p_value")],
        },
    }
    return figure, result.cells, spec


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: dates as ISO text, blanks as null."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _page(figure, table: pd.DataFrame, spec: dict, title: str) -> str:
    svg = io.StringIO()
    figure.savefig(svg, format="svg", bbox_inches="tight")
    drawing = svg.getvalue()
    drawing = drawing[drawing.index("<svg") :]
    # "</" inside a script block would end it early; JSON allows it escaped.
    spec_json = json.dumps(spec, default=str).replace("</", "<\\/")
    rows = table.drop(columns=["geometry"], errors="ignore")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }}
svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<figure>{drawing}</figure>
<h2>The figures</h2>
{rows.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}", border=0)}
<script type="application/vnd.vegalite+json" id="vega-lite-spec">{spec_json}</script>
</body>
</html>
"""
