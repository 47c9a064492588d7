"""Near repeats: the Knox test over distance and time bands, as the Near Repeat Calculator.

Every pair of events is placed in a cell by how far apart they are (distance band) and how
many days apart (time band). The observed count in each cell is compared with the counts
after the dates are shuffled over the locations at random (Monte Carlo permutation), which
keeps where events happen and when they happen but breaks any link between the two.

Bands are separate, not cumulative, as in Ratcliffe's Near Repeat Calculator: "0-100,101-200"
means pairs 0 to 100 metres apart, then more than 100 up to 200 metres apart (each band
starts just above the previous band's upper bound, so no pair falls between bands). The
first band must start at 0; "0-0" is a band for the same location or the same day. Pairs
beyond the last band are counted in a final "more than" row or column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saferhub.analysis.reading import AnalysisError, date_values, numeric_values

SIGNIFICANT = 0.05
# Each shuffle recounts every pair within the widest band; beyond this many (about 2 GB of
# working memory) a run would take hours, so the analyst is asked to narrow it.
MAX_CLOSE_PAIRS = 50_000_000


@dataclass
class NearRepeat:
    """The Knox table. `cells` has one row per distance band and time band:

    - observed: pairs of events that close in space and time,
    - expected: the average count over the shuffled runs,
    - knox_ratio: observed / expected (1.5 = 50% more pairs than chance would give),
    - p_value: (1 + runs with at least as many pairs) / (1 + runs): small means the excess
      of near repeats in that cell is unlikely to be chance.
    """

    cells: pd.DataFrame
    distance_bands: list[str]
    time_bands: list[str]
    events: int
    pairs: int
    iterations: int
    seed: int | None

    def matrix(self, column: str = "knox_ratio") -> pd.DataFrame:
        """One column of `cells` as a distance-by-time table."""
        table = self.cells.pivot(index="distance_band", columns="time_band", values=column)
        return table.loc[self.distance_bands, self.time_bands]


def parse_bands(text: str, *, unit: str) -> list[tuple[float, float]]:
    """ "0-100,101-200" as [(0, 100), (101, 200)]; AnalysisError says what is wrong."""
    bands = []
    for part in str(text).split(","):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*", part)
        if not match:
            raise AnalysisError(
                f"Cannot read the {unit} band {part.strip()!r}: write bands as FROM-TO "
                f"separated by commas, for example 0-100,101-200"
            )
        low, high = float(match.group(1)), float(match.group(2))
        if high < low:
            raise AnalysisError(f"The {unit} band {part.strip()!r} ends before it starts")
        if bands and low <= bands[-1][1]:
            raise AnalysisError(
                f"The {unit} bands must go up without overlapping: {part.strip()!r} starts "
                f"at or below the end of the band before it"
            )
        bands.append((low, high))
    if bands[0][0] != 0:
        raise AnalysisError(f"The first {unit} band must start at 0 (0-0 is the same {unit})")
    return bands


def _labels(bands: list[tuple[float, float]], unit: str) -> list[str]:
    def show(number: float) -> str:
        return f"{number:g}"

    labels = [f"{show(low)}-{show(high)} {unit}" for low, high in bands]
    return [*labels, f"more than {show(bands[-1][1])} {unit}"]


def near_repeat(
    events: pd.DataFrame,
    *,
    x: str,
    y: str,
    date: str,
    distance_bands: str | list[tuple[float, float]],
    time_bands: str | list[tuple[float, float]],
    iterations: int = 999,
    seed: int | None = None,
    source: str = "the events",
) -> NearRepeat:
    """The Knox test for near repeats among `events` (x and y in metres, a date column).

    >>> from saferhub.analysis import near_repeat
    >>> result = near_repeat(burglaries, x="easting", y="northing", date="occurred",
    ...                      distance_bands="0-0,1-100,101-200", time_bands="0-7,8-14",
    ...                      iterations=999, seed=1)  # doctest: +SKIP
    >>> result.matrix("knox_ratio")  # doctest: +SKIP
    """
    from scipy.spatial import cKDTree

    if iterations < 1:
        raise AnalysisError("iterations must be at least 1 (999 is usual)")
    space = (
        parse_bands(distance_bands, unit="metres")
        if isinstance(distance_bands, str)
        else distance_bands
    )
    time = parse_bands(time_bands, unit="days") if isinstance(time_bands, str) else time_bands
    points = np.column_stack([numeric_values(events, x, source), numeric_values(events, y, source)])
    when = date_values(events, date, source)
    # Whole days, as the Near Repeat Calculator counts them.
    days = (when.dt.tz_localize(None) if when.dt.tz is not None else when).dt.floor("D")
    days = ((days - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    n = len(points)
    if n < 2:
        raise AnalysisError(f"Need at least 2 events to make pairs; {source} has {n}")
    space_upper = np.array([high for _, high in space])
    time_upper = np.array([high for _, high in time])
    rows, columns = len(space) + 1, len(time) + 1

    tree = cKDTree(points)
    close = (int(tree.count_neighbors(tree, space_upper[-1])) - n) // 2
    if close > MAX_CLOSE_PAIRS:
        raise AnalysisError(
            f"{close:,} pairs of events are within {space_upper[-1]:g} metres of each other: "
            f"too many to shuffle. Use narrower distance bands, or fewer events (one area or "
            f"one crime type at a time)"
        )
    # Only pairs within the widest distance band move between cells when dates are shuffled
    # within rows; the "more than" row is what is left of each time band's total, and those
    # totals do not change under a shuffle (the same dates make the same set of gaps).
    pairs = tree.query_pairs(r=space_upper[-1], output_type="ndarray")
    first, second = pairs[:, 0], pairs[:, 1]
    distance = np.hypot(*(points[first] - points[second]).T)
    space_band = np.searchsorted(space_upper, distance, side="left")
    all_pairs = n * (n - 1) // 2
    time_totals = _pairs_within_days(days, time_upper, all_pairs)

    def table(order: np.ndarray) -> np.ndarray:
        gap = np.abs(order[first] - order[second])
        cell = space_band * columns + np.searchsorted(time_upper, gap, side="left")
        counts = np.bincount(cell, minlength=rows * columns).reshape(rows, columns)
        counts[-1, :] = time_totals - counts[:-1, :].sum(axis=0)
        return counts

    observed = table(days)
    rng = np.random.default_rng(seed)
    at_least = np.zeros_like(observed)
    total = np.zeros(observed.shape, dtype=float)
    for _ in range(iterations):
        shuffled = table(rng.permutation(days))
        at_least += shuffled >= observed
        total += shuffled
    expected = total / iterations
    space_labels, time_labels = _labels(space, "metres"), _labels(time, "days")
    cells = pd.DataFrame(
        {
            "distance_band": np.repeat(space_labels, columns),
            "time_band": np.tile(time_labels, rows),
            "observed": observed.ravel(),
            "expected": expected.ravel(),
            "knox_ratio": np.divide(
                observed.ravel(),
                expected.ravel(),
                out=np.full(rows * columns, np.nan),
                where=expected.ravel() > 0,
            ),
            "p_value": ((1 + at_least) / (1 + iterations)).ravel(),
        }
    )
    cells["significant"] = (cells["p_value"] <= SIGNIFICANT) & (cells["knox_ratio"] > 1)
    return NearRepeat(
        cells=cells,
        distance_bands=space_labels,
        time_bands=time_labels,
        events=n,
        pairs=all_pairs,
        iterations=iterations,
        seed=seed,
    )


def _pairs_within_days(days: np.ndarray, upper: np.ndarray, all_pairs: int) -> np.ndarray:
    """Pairs in each time band (and beyond the last), over every pair of events."""
    ordered = np.sort(days)
    within = np.array(
        [
            int(
                (
                    np.searchsorted(ordered, ordered + high, side="right")
                    - np.arange(1, len(ordered) + 1)
                ).sum()
            )
            for high in upper
        ]
    )
    return np.diff(np.concatenate([[0], within, [all_pairs]]))
