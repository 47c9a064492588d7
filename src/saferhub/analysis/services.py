"""The Analysis area's computations: the library's analyses run over what the reader may
count (saferhub.analysis.selectors), with every published count passed through `published`.

Each function returns plain dataclasses of published figures; nothing here writes to the
database. Figures that could give a suppressed count away (a rate, a share, a change, a
ratio) are withheld with it.
"""

import dataclasses
import datetime
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from saferhub.analysis.deprivation import concentration, rates_by_deprivation, simd_decile
from saferhub.analysis.gi_star import hotspots
from saferhub.analysis.knox import near_repeat
from saferhub.analysis.reading import AnalysisError
from saferhub.analysis.repeat_counts import repeats
from saferhub.analysis.selectors import (
    Published,
    analysis_events,
    analysis_victims,
    analysis_zones,
    published,
)
from saferhub.analysis.time_trends import MONTH_NAMES, trends
from saferhub.analysis.weights import spatial_weights
from saferhub.audit.services import audit_record
from saferhub.partnerships.models import Partnership, User
from saferhub.sharing.engine import Reader

GROUPINGS = {"": "All incidents", "theme": "Theme", "category": "Category", "data_zone": "Area"}
WINDOWS = (28, 91, 365)
DISTANCE_BANDS = "0-0,1-100,101-200,201-400"
TIME_BANDS = "0-7,8-14,15-28"
NEAR_REPEAT_ITERATIONS = 99
HOTSPOT_PERMUTATIONS = 499
TOP_SHOWN = 10
EMERGING_MONTHS = 3
SEED = 1


@dataclass(frozen=True)
class Scope:
    """What the reader asked to look at."""

    reader: Reader
    partnership: Partnership
    date_from: datetime.date
    date_to: datetime.date
    theme: str = ""
    category: str = ""
    data_zone: str = ""
    # The events read so far, by whether they reach back a year: a page (and the pack above
    # all) runs several analyses on the same incidents. Not copied by dataclasses.replace.
    _read: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def events(self, *, year_before: bool = False) -> pd.DataFrame:
        """The incidents in scope (a year earlier too with `year_before`); do not change
        the frame returned: it is shared."""
        if year_before not in self._read:
            self._read[year_before] = self._events(year_before)
        return self._read[year_before]

    def _events(self, year_before: bool) -> pd.DataFrame:
        return analysis_events(
            reader=self.reader,
            partnership=self.partnership,
            date_from=_year_before(self.date_from) if year_before else self.date_from,
            date_to=self.date_to,
            theme=self.theme or None,
            category=self.category or None,
            data_zones=(self.data_zone,) if self.data_zone else None,
        )


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 12 complete months: a month still under way would look like a fall."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    for _ in range(11):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    return start, end


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _change(now: Published, before: Published) -> tuple[str, str]:
    """The change and % change, shown only when both counts are published."""
    if now.suppressed or before.suppressed:
        return "", ""
    change = now.value - before.value
    percent = f"{change / before.value * 100:+.0f}%" if before.value else ""
    return f"{change:+,}", percent


# Trends ---------------------------------------------------------------------------------


@dataclass
class TrendsResult:
    by: str
    months: list[str]
    # One row per group: its label, its published count each month and in total.
    monthly: list[dict]
    # One row per group: this period, the same dates a year earlier, change.
    comparison: list[dict]
    # Seasonality of all incidents over the two years: month, average, index.
    seasonality: list[dict]
    total: Published
    total_year_before: Published


def trends_analyse(scope: Scope, *, by: str = "") -> TrendsResult:
    """Monthly counts by theme, category or data zone (or in all), the same period a year
    earlier, and the seasonality of the two years together."""
    if by not in GROUPINGS:
        raise AnalysisError(f"Cannot group trends by {by!r}")
    events = scope.events(year_before=True)
    if by == "theme":
        events = events.explode("themes").rename(columns={"themes": "theme"})
        if scope.theme:
            events = events[events["theme"] == scope.theme]
    events = events.assign(group=events[by] if by else "All incidents")
    labels = _labels(scope, by)
    events["group"] = [
        labels.get(group, group) if isinstance(group, str) else "(not known)"
        for group in events["group"]
    ]
    start = pd.Timestamp(scope.date_from)
    end = pd.Timestamp(scope.date_to) + pd.Timedelta(days=1)
    now = events[(events["occurred_at"] >= start) & (events["occurred_at"] < end)]
    before = events[
        (events["occurred_at"] >= pd.Timestamp(_year_before(scope.date_from)))
        & (events["occurred_at"] < pd.Timestamp(_year_before(scope.date_to)) + pd.Timedelta(days=1))
    ]
    months = [
        m.strftime("%Y-%m") for m in pd.period_range(scope.date_from, scope.date_to, freq="M")
    ]
    per_month = (
        now.groupby(["group", now["occurred_at"].dt.strftime("%Y-%m")]).size()
        if len(now)
        else pd.Series(dtype=int)
    )
    groups = sorted(
        set(now["group"]) | set(before["group"]),
        key=lambda g: (-int((now["group"] == g).sum()), str(g)),
    )
    monthly, comparison = [], []
    for group in groups:
        counts = [published(per_month.get((group, month), 0)) for month in months]
        this = published(int((now["group"] == group).sum()))
        last = published(int((before["group"] == group).sum()))
        monthly.append({"group": group, "counts": counts, "total": this})
        change, percent = _change(this, last)
        comparison.append(
            {"group": group, "now": this, "before": last, "change": change, "percent": percent}
        )
    return TrendsResult(
        by=by,
        months=months,
        monthly=monthly,
        comparison=comparison,
        seasonality=_seasonality(events),
        # Incidents, not rows: by theme, an incident with two themes is in two groups.
        total=published(now["incident"].nunique()),
        total_year_before=published(before["incident"].nunique()),
    )


def _labels(scope: Scope, by: str) -> dict[str, str]:
    """What a theme or category code is called, for the pages."""
    from saferhub.incidents.vocabulary import Category

    if by == "theme":
        book = scope.reader.theme_books().get(scope.partnership.pk)
        return {code: theme.name for code, theme in book.by_code.items()} if book else {}
    if by == "category":
        return dict(Category.choices)
    return {}


def _seasonality(events: pd.DataFrame) -> list[dict]:
    """Per month of the year: incidents in that month over every year held, the average per
    year, and an index (100 = an average month), through the library's trends."""
    unique = events.drop_duplicates("incident")
    if len(unique) == 0:
        return []
    result = trends(unique, date="occurred_at")
    by_month = result.monthly.assign(month_of_year=result.monthly["month"].dt.month)
    totals = by_month.groupby("month_of_year")["count"].sum().reindex(range(1, 13), fill_value=0)
    rows = []
    for _, row in result.seasonality.iterrows():
        month = int(row["month_of_year"])
        count = published(totals[month])
        shown = not count.suppressed and not math.isnan(row["index"])
        rows.append(
            {
                "month": MONTH_NAMES[month - 1],
                "count": count,
                "average": f"{row['average_count']:.1f}" if shown else "",
                "index": f"{row['index']:.0f}" if shown else "",
            }
        )
    return rows


# Repeats ----------------------------------------------------------------------------------


@dataclass
class RepeatSummary:
    what: str
    events: Published
    keys: Published
    repeat_keys: Published
    repeat_events: Published
    share: str
    median_days: str
    time_to_repeat: list[tuple[str, Published]]


@dataclass
class RepeatsResult:
    window_days: int
    locations: RepeatSummary | None
    victims: RepeatSummary | None
    # Repeat locations the reader may list: data zone and published counts.
    top_locations: list[dict] = field(default_factory=list)


def repeats_analyse(scope: Scope, *, window_days: int = 365) -> RepeatsResult:
    """Repeat locations and repeat victims within a rolling window; the top locations (only
    those the reader may see listed, by data zone, and with 5 or more incidents)."""
    if window_days not in WINDOWS:
        raise AnalysisError(f"The window must be one of {', '.join(map(str, WINDOWS))} days")
    events = scope.events()
    located = events[events["place_key"].notna()]
    victims = analysis_victims(
        reader=scope.reader,
        partnership=scope.partnership,
        date_from=scope.date_from,
        date_to=scope.date_to,
        theme=scope.theme or None,
        category=scope.category or None,
    )
    if scope.data_zone:
        victims = victims[victims["incident"].isin(set(events["incident"]))]
    victims = victims[victims["victim_key"].notna()].drop_duplicates(["incident", "victim_key"])
    result = RepeatsResult(
        window_days=window_days,
        locations=_repeat_summary(located, "place_key", "locations", window_days),
        victims=_repeat_summary(victims, "victim_key", "victims", window_days),
    )
    listable = located[located["listable"]]
    if len(listable):
        top = repeats(listable, key="place_key", date="occurred_at", window_days=window_days)
        zones = listable.groupby("place_key")["data_zone"].first()
        for _, row in top.top.iterrows():
            count = published(row["events"])
            most = published(row[f"most_in_{window_days}_days"])
            if count.suppressed or most.value is None or most.value < 2:
                continue
            result.top_locations.append(
                {
                    "rank": len(result.top_locations) + 1,
                    "data_zone": zones.get(row["place_key"]) or "not known",
                    "events": count,
                    "most_in_window": most,
                    "first": row["first"],
                    "last": row["last"],
                }
            )
    return result


def _repeat_summary(frame: pd.DataFrame, key: str, what: str, window: int) -> RepeatSummary | None:
    if len(frame) == 0:
        return None
    found = repeats(frame, key=key, date="occurred_at", window_days=window, top=0)
    repeat_events = published(found.repeat_events)
    events = published(found.events)
    return RepeatSummary(
        what=what,
        events=events,
        keys=published(found.keys),
        repeat_keys=published(found.repeat_keys),
        repeat_events=repeat_events,
        share=""
        if repeat_events.suppressed or events.suppressed
        else f"{found.repeat_share * 100:.0f}%",
        median_days=""
        if repeat_events.suppressed or found.median_days_to_repeat is None
        else f"{found.median_days_to_repeat:g}",
        time_to_repeat=[
            (row["gap"], published(row["repeats"])) for _, row in found.time_to_repeat.iterrows()
        ],
    )


# Near repeats -----------------------------------------------------------------------------


@dataclass
class NearRepeatResult:
    events: Published
    left_out: int
    iterations: int
    distance_bands: list[str]
    time_bands: list[str]
    # cells[distance][time]: observed (published), expected, ratio, p-value, significant.
    cells: list[list[dict]]
    significant_near: bool


def near_repeat_analyse(
    scope: Scope,
    *,
    distance_bands: str = DISTANCE_BANDS,
    time_bands: str = TIME_BANDS,
    iterations: int = NEAR_REPEAT_ITERATIONS,
    seed: int = SEED,
) -> NearRepeatResult | None:
    """The Knox test over the incidents with a known location; None with fewer than 2."""
    events = scope.events()
    located = events.dropna(subset=["easting", "northing"])
    if len(located) < 2:
        return None
    found = near_repeat(
        located,
        x="easting",
        y="northing",
        date="occurred_at",
        distance_bands=distance_bands,
        time_bands=time_bands,
        iterations=iterations,
        seed=seed,
    )
    cells = []
    for distance in found.distance_bands:
        row = []
        for time in found.time_bands:
            cell = found.cells[
                (found.cells["distance_band"] == distance) & (found.cells["time_band"] == time)
            ].iloc[0]
            observed = published(cell["observed"])
            shown = not observed.suppressed and not math.isnan(cell["knox_ratio"])
            row.append(
                {
                    "distance": distance,
                    "time": time,
                    "observed": observed,
                    "expected": f"{cell['expected']:.1f}",
                    "ratio": f"{cell['knox_ratio']:.2f}" if shown else "",
                    "p_value": f"{cell['p_value']:.3f}",
                    "significant": bool(cell["significant"]) and not observed.suppressed,
                }
            )
        cells.append(row)
    near = [cell for row in cells[:-1] for cell in row[:-1]]
    return NearRepeatResult(
        events=published(found.events),
        left_out=len(events) - len(located),
        iterations=iterations,
        distance_bands=found.distance_bands,
        time_bands=found.time_bands,
        cells=cells,
        significant_near=any(cell["significant"] for cell in near),
    )


# Hotspots ---------------------------------------------------------------------------------

CLUSTERS = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}


@dataclass
class HotspotsResult:
    fdr: bool
    permutations: int
    rate: bool
    # One row per data zone, hottest first.
    zones: list[dict]
    class_counts: dict[str, int]
    # GeoJSON FeatureCollection of the zones with their published figures (WGS84).
    geojson: dict
    # For drawing the map server-side: the zones and their classes.
    frame: object = None


def _zone_counts(scope: Scope) -> tuple[pd.DataFrame, int]:
    """The partnership's data zones with their incident count; and how many incidents
    had no data zone in that area."""
    events = scope.events()
    zones = analysis_zones(partnership=scope.partnership, used=set(events["data_zone"].dropna()))
    counts = events["data_zone"].value_counts()
    zones["count"] = zones["code"].map(counts).fillna(0).astype(int)
    return zones, int(len(events) - zones["count"].sum())


def hotspots_analyse(
    scope: Scope,
    *,
    fdr: bool = False,
    permutations: int = HOTSPOT_PERMUTATIONS,
    seed: int = SEED,
) -> HotspotsResult | None:
    """Getis-Ord Gi* (binary queen contiguity) over the partnership's data zones, on rates
    per 1,000 residents where every zone's population is known (else counts), classed at
    90/95/99% (optionally false-discovery-rate corrected); and local Moran's I clusters.
    None when the area has no data zones with boundaries."""
    import esda
    import geopandas as gpd
    import shapely

    zones, _ = _zone_counts(scope)
    zones = zones[zones["boundary"].astype(bool)].reset_index(drop=True)
    if len(zones) < 3 or zones["count"].nunique() < 2:
        return None
    geometry = shapely.from_geojson(zones["boundary"].tolist())
    areas = gpd.GeoDataFrame(zones.drop(columns="boundary"), geometry=geometry, crs="EPSG:4326")
    rate = bool((areas["population"].fillna(0) > 0).all())
    found = hotspots(
        areas,
        id="code",
        value="count",
        population="population" if rate else None,
        weights="queen",
        permutations=permutations,
        seed=seed,
        fdr=fdr,
    )
    w = spatial_weights(areas, "queen")
    w.transform = "R"
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = esda.Moran_Local(
            found.table["value"].to_numpy(dtype=float),
            w,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
        )
    significant = np.asarray(local.p_sim) <= 0.05
    clusters = [
        CLUSTERS[int(q)] if s else "not significant"
        for q, s in zip(local.q, significant, strict=True)
    ]
    rows = []
    for position, area in areas.iterrows():
        count = published(area["count"])
        gi = found.table.iloc[position]
        rows.append(
            {
                "code": area["code"],
                "name": area["name"] or area["code"],
                "count": count,
                "rate": ""
                if count.suppressed or not rate
                else f"{area['count'] / area['population'] * 1000:.1f}",
                "gi_z": "" if math.isnan(gi["gi_z"]) else f"{gi['gi_z']:.2f}",
                "z": -math.inf if math.isnan(gi["gi_z"]) else gi["gi_z"],
                "spot": gi["spot"],
                "bin": int(gi["bin"]),
                "cluster": clusters[position],
            }
        )
    areas["spot"] = found.table["spot"].to_numpy()
    features = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geom),
            "properties": {
                "code": row["code"],
                "name": row["name"],
                "spot": row["spot"],
                "cluster": row["cluster"],
                "count": str(row["count"]),
            },
        }
        for geom, row in zip(areas.geometry, rows, strict=True)
    ]
    rows.sort(key=lambda r: (-r["z"], r["code"]))
    return HotspotsResult(
        fdr=fdr,
        permutations=permutations,
        rate=rate,
        zones=rows,
        class_counts=found.counts(),
        geojson={"type": "FeatureCollection", "features": features},
        frame=(areas, found),
    )


# Deprivation ------------------------------------------------------------------------------


@dataclass
class DeprivationResult:
    quintiles: list[dict]
    deciles: list[dict]
    concentration: dict | None
    left_out: int


def deprivation_analyse(scope: Scope) -> DeprivationResult | None:
    """Rates per 1,000 residents by SIMD quintile and decile, and how concentrated incidents
    are in the most deprived data zones. None without zones holding population and SIMD."""
    zones, outside = _zone_counts(scope)
    known = zones[(zones["population"].fillna(0) > 0) & zones["simd_rank"].notna()]
    if len(known) == 0:
        return None
    known = known.assign(simd_rank=known["simd_rank"].astype(int))
    tables = {}
    for groups in ("quintile", "decile"):
        table = rates_by_deprivation(
            known, count="count", population="population", simd_rank="simd_rank", groups=groups
        )
        rows = []
        for _, row in table.iterrows():
            count = published(row["incidents"])
            hidden = count.suppressed or math.isnan(row["rate_per_1000"])
            rows.append(
                {
                    "group": int(row[groups]),
                    "data_zones": int(row["data_zones"]),
                    "population": int(row["population"]),
                    "incidents": count,
                    "rate": "" if hidden else f"{row['rate_per_1000']:.1f}",
                    "rate_value": None if hidden else float(row["rate_per_1000"]),
                    "share": ""
                    if count.suppressed or math.isnan(row["share_of_incidents"])
                    else f"{row['share_of_incidents'] * 100:.0f}%",
                    "population_share": f"{row['share_of_population'] * 100:.0f}%",
                }
            )
        tables[groups] = rows
    total = published(known["count"].sum())
    measure = None
    if not total.suppressed and total.value:
        found = concentration(known, count="count", population="population", simd_rank="simd_rank")
        deciles = simd_decile(known["simd_rank"])
        in_10 = published(known["count"][deciles == 1].sum())
        in_20 = published(known["count"][deciles <= 2].sum())
        measure = {
            "incidents": total,
            "in_most_deprived_10": in_10,
            "share_10": "" if in_10.suppressed else f"{found.share_in_most_deprived_10:.0%}",
            "population_share_10": f"{found.population_share_10:.0%}",
            "in_most_deprived_20": in_20,
            "share_20": "" if in_20.suppressed else f"{found.share_in_most_deprived_20:.0%}",
            "population_share_20": f"{found.population_share_20:.0%}",
            "concentration_index": f"{found.concentration_index:.2f}",
            "gini": f"{found.gini:.2f}",
        }
    return DeprivationResult(
        quintiles=tables["quintile"],
        deciles=tables["decile"],
        concentration=measure,
        left_out=outside + int(zones["count"].sum() - known["count"].sum()),
    )


# Emerging issues --------------------------------------------------------------------------


def emerging_issues(scope: Scope, *, months: int = EMERGING_MONTHS, shown: int = 5) -> list[dict]:
    """Themes whose count in the last `months` months to the end of the period rose most
    against the same months a year earlier. Only themes with both counts published are
    ranked, so that the order gives nothing suppressed away."""
    end = scope.date_to
    start = (pd.Timestamp(end) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
    recent = dataclasses.replace(scope, date_from=start)
    events = recent.events(year_before=True).explode("themes")
    when = events["occurred_at"]
    now = events[when >= pd.Timestamp(start)]
    before = events[
        (when >= pd.Timestamp(_year_before(start)))
        & (when < pd.Timestamp(_year_before(end)) + pd.Timedelta(days=1))
    ]
    rows = []
    book = scope.reader.theme_books().get(scope.partnership.pk)
    names = {code: theme.name for code, theme in book.by_code.items()} if book else {}
    for theme in sorted(set(now["themes"].dropna())):
        this = published(int((now["themes"] == theme).sum()))
        last = published(int((before["themes"] == theme).sum()))
        if this.suppressed or last.suppressed or this.value <= last.value:
            continue
        change, percent = _change(this, last)
        rows.append(
            {
                "theme": names.get(theme, theme),
                "now": this,
                "before": last,
                "change": change,
                "percent": percent,
                "rise": this.value - last.value,
            }
        )
    rows.sort(key=lambda r: (-r["rise"], r["theme"]))
    return [{**row, "from": start, "to": end} for row in rows[:shown]]


# Exports ----------------------------------------------------------------------------------


def assessment_export_record(*, user: User, scope: Scope) -> None:
    """Audit a download of the strategic assessment pack: it holds only published figures,
    but it leaves the hub, and every export is audited."""
    audit_record(
        actor=user,
        action="export",
        purpose="analysis",
        partnership_code=scope.partnership.code,
        detail={
            "export": "strategic_assessment",
            "from": scope.date_from.isoformat(),
            "to": scope.date_to.isoformat(),
            "theme": scope.theme,
            "category": scope.category,
        },
    )
