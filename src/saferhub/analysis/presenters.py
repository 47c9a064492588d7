"""What the Analysis pages show: Vega-Lite specifications of the published figures.

A chart never holds a figure the table beside it does not: suppressed counts are gaps.
"""

from saferhub.analysis.plots import SPOT_COLOURS
from saferhub.analysis.services import (
    DeprivationResult,
    HotspotsResult,
    NearRepeatResult,
    TrendsResult,
)

# The version vendored from npm (package.json): the library's own HTML pages say v5.
VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"
MAX_LINES = 8
CLUSTER_COLOURS = {
    "high-high": "#d7191c",
    "high-low": "#fdae61",
    "low-high": "#abd9e9",
    "low-low": "#2c7bb6",
    "not significant": "#eeeeee",
}


def trends_chart(result: TrendsResult) -> dict:
    values = [
        {"month": month, "group": str(row["group"]), "count": count.value}
        for row in result.monthly[:MAX_LINES]
        for month, count in zip(result.months, row["counts"], strict=True)
    ]
    return {
        "$schema": VEGA_LITE,
        "description": "Incidents by month; the table below gives the same figures.",
        "width": "container",
        "height": 300,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": "Month"},
            "y": {"field": "count", "type": "quantitative", "title": "Incidents"},
            "color": {"field": "group", "type": "nominal", "title": ""},
            "tooltip": [
                {"field": "group", "title": "Group"},
                {"field": "month", "title": "Month"},
                {"field": "count", "title": "Incidents"},
            ],
        },
    }


def deprivation_chart(result: DeprivationResult) -> dict:
    values = [
        {"quintile": str(row["group"]), "rate": row["rate_value"]} for row in result.quintiles
    ]
    return {
        "$schema": VEGA_LITE,
        "description": "Incidents per 1,000 residents by SIMD quintile (1 = most deprived).",
        "width": "container",
        "height": 250,
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "x": {"field": "quintile", "type": "ordinal", "title": "SIMD quintile"},
            "y": {"field": "rate", "type": "quantitative", "title": "Per 1,000 residents"},
            "tooltip": [{"field": "quintile"}, {"field": "rate"}],
        },
    }


def near_repeat_chart(result: NearRepeatResult) -> dict:
    values = [
        {
            "distance": cell["distance"],
            "time": cell["time"],
            "ratio": float(cell["ratio"]) if cell["ratio"] else None,
        }
        for row in result.cells
        for cell in row
    ]
    return {
        "$schema": VEGA_LITE,
        "description": "Knox ratios by distance and time band; the table gives the figures.",
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": "rect",
        "encoding": {
            "x": {"field": "time", "type": "ordinal", "sort": result.time_bands, "title": "Days"},
            "y": {
                "field": "distance",
                "type": "ordinal",
                "sort": result.distance_bands,
                "title": "Metres",
            },
            "color": {
                "field": "ratio",
                "type": "quantitative",
                "scale": {"scheme": "redblue", "reverse": True, "domainMid": 1},
                "title": "Knox ratio",
            },
            "tooltip": [{"field": "distance"}, {"field": "time"}, {"field": "ratio"}],
        },
    }


def hotspot_rows(result: HotspotsResult) -> tuple[list[dict], list[dict]]:
    """The zones worth a look (a hot or cold spot, or in a cluster), and the others."""
    notable = [
        z
        for z in result.zones
        if z["spot"] != "not significant" or z["cluster"] != "not significant"
    ]
    others = [z for z in result.zones if z not in notable]
    return notable, others


def map_legend() -> dict:
    """The colours of the map's classes, for the map script and the key under it."""
    return {"spot": SPOT_COLOURS, "cluster": CLUSTER_COLOURS}
