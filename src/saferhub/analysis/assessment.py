"""The strategic assessment pack: a partnership's headline trends, repeats, hotspots,
deprivation and emerging issues for a period, as a page and as a PDF (WeasyPrint).

Charts are drawn on the server as SVG with the library's plotting (saferhub.analysis.plots),
so that they appear in the PDF, and embedded as data: images (the page's Content Security
Policy allows no inline styles, which matplotlib's SVG carries).
"""

import base64
import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from saferhub.analysis.plots import write_plot
from saferhub.analysis.reading import AnalysisError
from saferhub.analysis.selectors import SUPPRESSED_TEXT, Published
from saferhub.analysis.services import (
    DeprivationResult,
    HotspotsResult,
    NearRepeatResult,
    RepeatsResult,
    Scope,
    TrendsResult,
    deprivation_analyse,
    emerging_issues,
    hotspots_analyse,
    near_repeat_analyse,
    repeats_analyse,
    trends_analyse,
)
from saferhub.analysis.time_trends import trends
from saferhub.incidents.selectors import SUPPRESS_BELOW

HOT_CLASSES = ("hot spot 99%", "hot spot 95%")


@dataclass
class Pack:
    scope: Scope
    headline: str
    total: Published
    total_year_before: Published
    by_theme: TrendsResult
    by_category: TrendsResult
    repeats: RepeatsResult
    near_repeats: NearRepeatResult | None
    hotspots: HotspotsResult | None
    hot_zones: list[dict]
    deprivation: DeprivationResult | None
    emerging: list[dict]
    # data: URIs of SVG charts, by name; absent when there was nothing to draw.
    charts: dict[str, str]
    # Sections the data could not support, and why.
    notes: list[str] = dataclasses.field(default_factory=list)
    suppressed_text: str = SUPPRESSED_TEXT


def assessment_build(scope: Scope) -> Pack:
    """Every section of the pack for the scope's partnership and period."""
    by_theme = trends_analyse(scope, by="theme")
    notes: list[str] = []
    hot = _section(notes, "Hotspots", hotspots_analyse, scope)
    deprivation = _section(notes, "Deprivation", deprivation_analyse, scope)
    near = _section(
        notes,
        "Near repeats",
        near_repeat_analyse,
        dataclasses.replace(scope, category=scope.category or "housebreaking"),
    )
    charts = {}
    trend_chart = _trends_svg(scope)
    if trend_chart:
        charts["trends"] = trend_chart
    if hot is not None:
        charts["hotspots"] = _hotspots_svg(hot)
    if deprivation is not None and any(r["rate_value"] for r in deprivation.quintiles):
        charts["deprivation"] = _deprivation_svg(deprivation)
    return Pack(
        scope=scope,
        headline=_headline(by_theme.total, by_theme.total_year_before),
        total=by_theme.total,
        total_year_before=by_theme.total_year_before,
        by_theme=by_theme,
        by_category=trends_analyse(scope, by="category"),
        repeats=repeats_analyse(scope),
        near_repeats=near,
        hotspots=hot,
        hot_zones=[z for z in hot.zones if z["spot"] in HOT_CLASSES] if hot else [],
        deprivation=deprivation,
        emerging=emerging_issues(scope),
        charts=charts,
        notes=notes,
    )


def _section(notes: list[str], title: str, analyse, scope: Scope):
    try:
        return analyse(scope)
    except AnalysisError as exc:
        notes.append(f"{title}: {exc}")
        return None


def _headline(now: Published, before: Published) -> str:
    if now.suppressed:
        return f"{SUPPRESSED_TEXT} incidents were recorded in the period."
    if before.suppressed or not before.value:
        return f"{now} incidents were recorded in the period."
    change = (now.value - before.value) / before.value * 100
    direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
    amount = f" {abs(change):.0f}%" if direction != "unchanged" else ""
    return (
        f"{now} incidents were recorded in the period, {direction}{amount} on the same "
        f"dates a year earlier ({before})."
    )


def _svg_uri(path: Path) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode()


def _trends_svg(scope: Scope) -> str | None:
    events = scope.events().explode("themes").rename(columns={"themes": "theme"})
    events = events[events["theme"].notna()]
    if len(events) == 0:
        return None
    book = scope.reader.theme_books().get(scope.partnership.pk)
    names = {code: theme.name for code, theme in book.by_code.items()} if book else {}
    events = events.assign(theme=[names.get(code, code) for code in events["theme"]])
    result = trends(events, date="occurred_at", by=["theme"])
    counts = result.monthly["count"].astype(float)
    # A chart is a published figure too: months with 1 to 4 incidents are gaps.
    result.monthly["count"] = counts.where((counts == 0) | (counts >= SUPPRESS_BELOW), np.nan)
    with tempfile.TemporaryDirectory() as directory:
        path = write_plot(
            result,
            Path(directory) / "trends.svg",
            title=f"Incidents by month and theme (gaps: {SUPPRESSED_TEXT})",
        )
        return _svg_uri(path)


def _hotspots_svg(result: HotspotsResult) -> str:
    areas, found = result.frame
    with tempfile.TemporaryDirectory() as directory:
        path = write_plot(found, Path(directory) / "hotspots.svg", areas=areas)
        return _svg_uri(path)


def _deprivation_svg(result: DeprivationResult) -> str:
    import io

    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.5), layout="constrained")
    axes = figure.add_subplot()
    groups = [r["group"] for r in result.quintiles]
    rates = [r["rate_value"] if r["rate_value"] is not None else 0 for r in result.quintiles]
    axes.bar(range(len(groups)), rates, color="#0065bd")
    axes.set_xticks(range(len(groups)), [str(g) for g in groups])
    axes.set_xlabel("SIMD quintile (1 = most deprived)")
    axes.set_ylabel("incidents per 1,000 residents")
    axes.set_title("Incidents per 1,000 residents by deprivation")
    for position, row in enumerate(result.quintiles):
        if row["rate_value"] is None and row["incidents"].suppressed:
            axes.text(position, 0, "suppressed", ha="center", va="bottom", fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def assessment_pdf_render(pack: Pack, *, request=None) -> bytes:
    """The pack as a PDF."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("analysis/assessment_print.html", {"pack": pack}, request=request)
    return HTML(string=html).write_pdf()
