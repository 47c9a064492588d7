"""Reading initiatives and computing their indicators' series, through the sharing engine.

An indicator's series counts the incidents the reader may see for the `analysis` purpose at
`aggregate` or above (DESIGN.md section 4): another organisation's incidents count only where
a protocol for analysis lets the reader's organisation see them, and a record at `none` is
not counted at all.

Suppression. Counts under 5 are suppressed in *output*, not in the input of a model. The
series fed to the evaluation library are exact counts (a suppressed month cannot be left out
or guessed at without biasing the estimate, and a comparison data zone has few incidents in
most months); every count the pages and reports show, in tables or on the chart, goes through
`presenters.shown_count`, which writes "fewer than 5" for 1 to 4. Estimates (the
counterfactual, the effect) are modelled figures, not counts of records, and are shown.
"""

import datetime
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from saferhub.evaluation.models import (
    Design,
    Evaluation,
    Granularity,
    Indicator,
    IndicatorSource,
    Initiative,
)
from saferhub.geography.models import DataZone
from saferhub.incidents.selectors import incidents_at_least
from saferhub.partnerships.models import Partnership, User
from saferhub.partnerships.themes import has_theme
from saferhub.sharing.engine import Reader, reader_for, reader_in_partnership
from saferhub.sharing.models import Level, Purpose

# What the designs need before the start (the library's own "enough pre-period" checks).
PRE_PERIODS_NEEDED = {
    Design.ITS: 8,
    # A wandering level needs more before the start to tell its drift from a step.
    Design.ITS_STRUCTURAL: 12,
    Design.DID: 4,
    Design.SYNTHETIC_CONTROL: 8,
}
# The designs that use the initiative's own series only.
SINGLE_SERIES = (Design.ITS, Design.ITS_STRUCTURAL)
SYNTHETIC_CONTROL_DONORS = 5
COMPARISONS_SUGGESTED = 10


def analysis_reader(user: User, partnership: Partnership) -> Reader:
    """The user reading for analysis, as they are in this partnership."""
    return reader_in_partnership(reader_for(user, Purpose.ANALYSIS), partnership.pk)


def initiatives_of(*, partnership: Partnership) -> QuerySet[Initiative]:
    return Initiative.objects.filter(partnership=partnership).select_related("owner")


def initiative_of(*, partnership: Partnership, initiative_id: int) -> Initiative:
    """Initiative.DoesNotExist unless it is this partnership's."""
    return initiatives_of(partnership=partnership).get(pk=initiative_id)


def published_of(*, partnership: Partnership) -> QuerySet[Initiative]:
    """The practice library: initiatives whose EMMIE summary is published, newest first."""
    return (
        initiatives_of(partnership=partnership)
        .filter(published_at__isnull=False)
        .order_by("-published_at")
    )


def evaluations_of(*, initiative: Initiative) -> QuerySet[Evaluation]:
    return initiative.evaluations.select_related("indicator", "created_by", "organisation")


def may_see_figures(evaluation: Evaluation, user: User) -> bool:
    """The figures of an evaluation are what the runner's organisation may see for analysis,
    which another organisation may not: only the runner's organisation sees them."""
    return user.organisation_id == evaluation.organisation_id


# Periods -------------------------------------------------------------------------------------


def period_label(day: datetime.date, granularity: str) -> str:
    """A month as 2024-03; a quarter as its first month (2024-01 for January to March)."""
    month = day.month if granularity == Granularity.MONTH else 3 * ((day.month - 1) // 3) + 1
    return f"{day.year:04d}-{month:02d}"


def periods_between(first: datetime.date, last: datetime.date, granularity: str) -> list[str]:
    step = 1 if granularity == Granularity.MONTH else 3
    year, month = (int(p) for p in period_label(first, granularity).split("-"))
    labels, end = [], period_label(last, granularity)
    while True:
        label = f"{year:04d}-{month:02d}"
        if label > end:
            return labels
        labels.append(label)
        month += step
        if month > 12:
            year, month = year + 1, month - 12


def treated_zones(indicator: Indicator) -> list[str]:
    """The indicator's own data zones, else the initiative's; empty for the whole partnership."""
    return list(indicator.data_zones or indicator.initiative.data_zones)


# Series ------------------------------------------------------------------------------------


@dataclass
class Series:
    """An indicator's values: `periods` in order, `values` for the treated area, and for each
    comparison data zone asked for its own values."""

    periods: list[str]
    values: list[float]
    start: str
    comparisons: dict[str, list[float]]
    # The treated data zones' own values (empty for the whole partnership or an upload).
    treated_by_zone: dict[str, list[float]]
    # True when the values are counts of records (and so suppressed under 5 when shown).
    counts: bool

    @property
    def pre_periods(self) -> int:
        return sum(1 for p in self.periods if p < self.start)

    @property
    def post_periods(self) -> int:
        return len(self.periods) - self.pre_periods


def _window(indicator: Indicator, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = indicator.initiative.starts_on
    first = indicator.period_from or datetime.date(start.year - 2, start.month, 1)
    last = indicator.period_to or today
    return first, last


def _visible(reader: Reader, indicator: Indicator, first, last) -> QuerySet:
    """The incidents of the indicator's query, at aggregate or above for the reader."""
    partnership_id = indicator.initiative.partnership_id
    rows = incidents_at_least(reader, Level.AGGREGATE).filter(
        partnership_id=partnership_id,
        occurred_at__date__gte=first,
        occurred_at__date__lte=last,
    )
    if indicator.theme:
        # A theme is a bit of the mask, which may differ between partnerships.
        book = reader.theme_books().get(partnership_id)
        theme = book.by_code.get(indicator.theme) if book else None
        rows = rows.filter(has_theme("theme_mask", theme.bit) if theme else Q(pk__in=[]))
    if indicator.category:
        rows = rows.filter(category=indicator.category)
    return rows


def _counts_by_zone(rows: QuerySet, granularity: str) -> dict[tuple[str, str], int]:
    grouped = (
        rows.annotate(month=TruncMonth("occurred_at"))
        .values("month", "data_zone")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[str, str], int] = {}
    for row in grouped:
        key = (row["data_zone"], period_label(row["month"], granularity))
        counts[key] = counts.get(key, 0) + row["count"]
    return counts


def indicator_series(
    *,
    indicator: Indicator,
    reader: Reader,
    comparison_zones: list[str] = (),
    today: datetime.date | None = None,
) -> Series:
    """The indicator's series: an uploaded one as it was uploaded; a query's as exact counts
    of what the reader may see for analysis (see the module's note on suppression)."""
    today = today or reader.today
    start = period_label(indicator.initiative.starts_on, indicator.granularity)
    if indicator.source == IndicatorSource.UPLOAD:
        periods = [str(p) for p, _ in indicator.rows]
        values = [float(v) for _, v in indicator.rows]
        return Series(periods, values, start, {}, {}, counts=False)
    first, last = _window(indicator, today)
    periods = periods_between(first, last, indicator.granularity)
    zones = treated_zones(indicator)
    rows = _visible(reader, indicator, first, last)
    if zones or comparison_zones:
        rows = rows.filter(data_zone__in=[*zones, *comparison_zones])
    counts = _counts_by_zone(rows, indicator.granularity)
    totals = dict.fromkeys(periods, 0)
    for (zone, period), count in counts.items():
        if period in totals and (not zones or zone in zones):
            totals[period] += count

    def values_of(zone: str) -> list[float]:
        return [float(counts.get((zone, p), 0)) for p in periods]

    return Series(
        periods,
        [float(totals[p]) for p in periods],
        start,
        {zone: values_of(zone) for zone in comparison_zones},
        {zone: values_of(zone) for zone in zones},
        counts=True,
    )


# Comparison areas -----------------------------------------------------------------------------


@dataclass
class Candidate:
    code: str
    name: str
    simd_rank: int | None
    pre_mean: float
    pre_trend: float  # change per period before the start, as a share of the mean
    score: float  # lower is more alike


def _trend(values: list[float]) -> tuple[float, float]:
    """Mean and relative slope (per period, as a share of the mean) of a pre-period series."""
    if len(values) < 2:
        return (float(values[0]) if values else 0.0), 0.0
    y = np.asarray(values, dtype=float)
    mean = float(y.mean())
    slope = float(np.polyfit(np.arange(len(y)), y, 1)[0])
    return mean, (slope / mean if mean else 0.0)


def comparison_candidates(
    *, indicator: Indicator, reader: Reader, limit: int = COMPARISONS_SUGGESTED
) -> list[Candidate]:
    """Data zones of the partnership outside the initiative's area, most alike first: close in
    SIMD rank to the treated zones' average, and with a similar trend before the start.

    The score adds the gap in SIMD rank (as a share of Scotland's 6,976 zones) to the gap in
    relative pre-period trend; zones with no incidents of the indicator before the start
    cannot show a trend and are left out. Nothing to suggest for the whole partnership.
    """
    zones = treated_zones(indicator)
    if indicator.source != IndicatorSource.QUERY or not zones:
        return []
    first, _ = _window(indicator, reader.today)
    start = indicator.initiative.starts_on
    last = start - datetime.timedelta(days=1)
    periods = periods_between(first, last, indicator.granularity)
    if not periods:
        return []
    counts = _counts_by_zone(_visible(reader, indicator, first, last), indicator.granularity)
    seen = {zone for zone, _ in counts} - set(zones) - {""}
    info = {
        z.code: z for z in DataZone.objects.filter(code__in=[*seen, *zones]).only("code", "name")
    }
    ranks = [info[z].simd_rank for z in zones if z in info and info[z].simd_rank]
    treated_rank = sum(ranks) / len(ranks) if ranks else None
    treated_values = [sum(counts.get((z, p), 0) for z in zones) for p in periods]
    _, treated_trend = _trend(treated_values)
    candidates = []
    for zone in sorted(seen):
        mean, trend = _trend([counts.get((zone, p), 0) for p in periods])
        found = info.get(zone)
        rank = found.simd_rank if found else None
        rank_gap = abs(rank - treated_rank) / 6976 if rank and treated_rank else 0.5
        score = rank_gap + abs(trend - treated_trend)
        candidates.append(
            Candidate(zone, found.name if found else "", rank, mean, trend, round(score, 4))
        )
    candidates.sort(key=lambda c: (c.score, c.code))
    return candidates[:limit]


# The proposed design --------------------------------------------------------------------------


@dataclass
class Proposal:
    design: str
    allowed: list[str]
    reasons: list[str]
    pre_periods: int
    post_periods: int


def design_proposal(*, series: Series, whole_partnership: bool) -> Proposal:
    """The strongest design the data allow, and why, in plain words.

    With comparison areas, difference-in-differences (level 3): it allows for a difference in
    level between the areas, which a synthetic control (a weighted average of the comparison
    areas) cannot when the initiative's area is bigger than any of them. Synthetic control is
    offered as well with at least 5 comparison areas and 8 periods before the start. Without
    comparison areas, an interrupted time series (level 2).
    """
    pre, post = series.pre_periods, series.post_periods
    comparisons = len(series.comparisons)
    allowed, reasons = [Design.ITS.value], []
    unit = "period"
    if pre < PRE_PERIODS_NEEDED[Design.ITS]:
        reasons.append(
            f"There are only {pre} {unit}s before the start; the hub's methods want at least "
            f"{PRE_PERIODS_NEEDED[Design.ITS]} to tell a trend from noise, so any estimate "
            "will be weak."
        )
    if pre >= PRE_PERIODS_NEEDED[Design.ITS_STRUCTURAL]:
        allowed.append(Design.ITS_STRUCTURAL.value)
    if comparisons >= 1 and pre >= 1:
        allowed.append(Design.DID.value)
    if comparisons >= SYNTHETIC_CONTROL_DONORS and pre >= PRE_PERIODS_NEEDED[Design.ITS]:
        allowed.append(Design.SYNTHETIC_CONTROL.value)
    if Design.DID in allowed:
        design = Design.DID.value
        reasons.append(
            f"You chose {comparisons} comparison area{'s' if comparisons > 1 else ''} that did "
            "not get the initiative: the strongest design the data allow is a comparison "
            "with them (level 3 of the Maryland Scientific Methods Scale; a series on its "
            "own reaches level 2)."
        )
    else:
        design = Design.ITS.value
        reasons.append(
            "There are no comparison areas"
            + (" (the initiative covers the whole partnership)" if whole_partnership else " chosen")
            + ", so the only design the data allow is a single series (level 2 of the "
            "Maryland Scientific Methods Scale). It cannot rule out that something else "
            "changed at the same time."
        )
    return Proposal(design, allowed, reasons, pre, post)


def seasonal_cycle(series: Series, granularity: str) -> int | None:
    """12 for months (4 for quarters) when there are three full cycles before the start.

    The library needs two, but with only two the eleven seasonal terms overfit: on 200
    simulated series with no effect, no season and 24 months before the start, the segmented
    regression called 27% of them significant at 5% with the seasonal terms, 17% without.
    """
    cycle = 12 if granularity == Granularity.MONTH else 4
    return cycle if series.pre_periods >= 3 * cycle else None
