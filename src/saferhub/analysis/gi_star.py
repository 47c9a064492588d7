"""Hotspots and cold spots: the Getis-Ord Gi* statistic per area, with permutation p-values."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from saferhub.analysis.reading import (
    AnalysisError,
    check_unique,
    numeric_values,
    require_columns,
)
from saferhub.analysis.weights import spatial_weights

if TYPE_CHECKING:
    import geopandas as gpd

# Confidence levels, most confident first, as in ArcGIS's Gi_Bin and GeoDa's maps.
LEVELS = ((99, 0.01), (95, 0.05), (90, 0.10))
NOT_SIGNIFICANT = "not significant"


@dataclass
class Hotspots:
    """Gi* per area. `table` has one row per area, in the input order:

    - id, value (the rate per 1,000 when a population was given; count and population kept),
    - gi_z: how many standard deviations the area and its neighbours together sit above (+)
      or below (-) what a random arrangement of the same values would give,
    - p_value: the two-sided pseudo p-value from the permutations (how often a random
      rearrangement of the other areas' values gives a Gi* at least as extreme),
    - confidence: 99, 95, 90 or 0; spot: "hot spot 95%", "cold spot 99%", "not significant",
    - bin: -3..3 (negative cold, positive hot; 3 = 99%), as ArcGIS's Gi_Bin.
    """

    table: pd.DataFrame
    weights: str
    permutations: int
    seed: int | None
    fdr: bool
    rate_per: int | None = None
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many areas fall in each class, hot spots first."""
        order = [f"hot spot {c}%" for c, _ in LEVELS]
        order += [NOT_SIGNIFICANT] + [f"cold spot {c}%" for c, _ in reversed(LEVELS)]
        found = self.table["spot"].value_counts()
        return {label: int(found.get(label, 0)) for label in order}


def hotspots(
    areas: gpd.GeoDataFrame,
    *,
    id: str,
    value: str,
    population: str | None = None,
    weights: str = "queen",
    permutations: int = 999,
    seed: int | None = None,
    fdr: bool = False,
    source: str = "the areas",
) -> Hotspots:
    """Getis-Ord Gi* hotspots and cold spots (PySAL `esda.G_Local`, star, binary weights).

    `areas` is a GeoDataFrame with an id column and a value column (a count, or any
    measure); with `population` the value is turned into a rate per 1,000 residents first.
    With `fdr`, each confidence level is corrected for testing every area at once
    (Benjamini-Hochberg false discovery rate, `esda.fdr`), which leaves fewer, surer spots.

    >>> import geopandas as gpd
    >>> from saferhub.analysis import hotspots
    >>> zones = gpd.read_file("data_zones.gpkg")  # doctest: +SKIP
    >>> result = hotspots(zones, id="DataZone", value="incidents", population="pop",
    ...                   permutations=999, seed=1, fdr=True)  # doctest: +SKIP
    >>> result.table.query("bin == 3")  # hot spots at 99% confidence  # doctest: +SKIP
    """
    import esda

    if permutations < 1:
        raise AnalysisError("permutations must be at least 1 (999 is usual)")
    require_columns(areas, [id], source)
    ids = areas[id].to_numpy()
    check_unique(areas[id], id, source)
    y = numeric_values(areas, value, source)
    table = pd.DataFrame({"id": ids})
    rate_per = None
    if population is not None:
        people = numeric_values(areas, population, source)
        empty = np.flatnonzero(people <= 0)
        if len(empty):
            raise AnalysisError(
                f"Column {population!r} in {source} must be more than 0 to make a rate: "
                f"row {int(empty[0]) + 1} is {people[empty[0]]:g}"
            )
        table["count"] = y
        table["population"] = people
        y = y / people * 1000
        rate_per = 1000
    table["value"] = y
    negative = np.flatnonzero(y < 0)
    if len(negative):
        # Gi* is a share of the map's total: it has no meaning for values below 0.
        raise AnalysisError(
            f"Column {value!r} in {source} must be 0 or more for Gi*: "
            f"row {int(negative[0]) + 1} is {y[negative[0]]:g}"
        )
    if np.ptp(y) == 0:
        raise AnalysisError(
            f"Every area has the same {'rate' if population else 'value'} ({y[0]:g}): "
            "there are no hotspots or cold spots to find"
        )
    w = spatial_weights(areas, weights, ids=ids)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # esda warns that its default pseudo p-value (one tail, chosen by the data) will
        # change; the two-sided value is made below, so the warning is noise for analysts.
        warnings.simplefilter("ignore", DeprecationWarning)
        gi = esda.G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            keep_simulations=True,
            n_jobs=1,
        )
    # Two-sided: esda's pseudo p-value counts only the tail the area fell in, so it is doubled
    # (as esda's authors advise; see docs/analysis.md). Hot or cold is read from that same
    # tail: hot when at most half the permuted values reach the observed Gi*.
    # esda keeps p in single precision: it is made exact again from its count, (k + 1)/(N + 1).
    extreme = np.rint(np.asarray(gi.p_sim, dtype=float) * (permutations + 1))
    p = np.minimum(1.0, 2 * extreme / (permutations + 1))
    hot = (gi.rGs >= gi.Gs[:, None]).sum(axis=1) <= permutations / 2
    z = gi.Zs
    # An area whose neighbourhood is the whole map always sums to the total: its Gi* has no
    # variance and cannot differ from chance (esda would give it the smallest p-value).
    degenerate = ~np.isfinite(z) | (gi.VGs <= 0)
    z = np.where(degenerate, np.nan, z)
    p = np.where(degenerate, 1.0, p)
    table["gi_z"] = z
    table["p_value"] = p
    confidence, spot, bins = classify(np.where(hot, 1.0, -1.0), p, fdr=fdr)
    table["confidence"] = confidence
    table["spot"] = spot
    table["bin"] = bins
    return Hotspots(
        table=table,
        weights=weights,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        rate_per=rate_per,
    )


def classify(
    z: np.ndarray, p: np.ndarray, *, fdr: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confidence (99/95/90/0), class label and bin (-3..3) per area from p and the side
    (z > 0 hot, otherwise cold).

    An area is significant at a level when its p-value is at most the level's alpha, or with
    `fdr` at most the false discovery rate cut-off for that alpha (never above alpha).
    """
    import esda

    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    confidence = np.zeros(len(p), dtype=int)
    # Least confident first, so that a stricter level overwrites a looser one.
    for level, alpha in reversed(LEVELS):
        cut = esda.fdr(p, alpha) if fdr else alpha
        confidence[p <= cut] = level
    sign = np.where(z > 0, 1, -1)
    rank = {99: 3, 95: 2, 90: 1, 0: 0}
    bins = sign * np.array([rank[c] for c in confidence], dtype=int)
    spot = np.where(
        confidence == 0,
        NOT_SIGNIFICANT,
        np.char.add(
            np.char.add(np.where(z > 0, "hot spot ", "cold spot "), confidence.astype(str)), "%"
        ),
    )
    return confidence, spot.astype(object), bins
