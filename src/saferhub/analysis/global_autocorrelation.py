"""Global spatial autocorrelation: are similar values found near each other across the map?"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class Autocorrelation:
    """Global Moran's I and Geary's C for one value over a map (row-standardised weights).

    - morans_i: from -1 to +1 roughly; above `expected_i` (-1/(n-1)) means similar values
      cluster, below means neighbours tend to differ. z_score (randomisation assumption)
      and p_value (pseudo p-value from the permutations, folded to the side observed) say
      whether it is more than chance (the pseudo p-value is two-sided).
    - gearys_c: 1 means no pattern, below 1 similar neighbours, above 1 dissimilar; with its
      own z_score and pseudo p-value.
    - scatter: the Moran scatter plot's points (id, standardised value, spatial lag).
    """

    areas: int
    weights: str
    permutations: int
    morans_i: float
    expected_i: float
    z_score: float
    p_value: float
    gearys_c: float
    expected_c: float
    geary_z_score: float
    geary_p_value: float
    scatter: pd.DataFrame

    def summary(self) -> dict[str, float | int | str]:
        """The figures without the scatter points."""
        return {k: v for k, v in self.__dict__.items() if k != "scatter"}


def autocorrelation(
    areas: gpd.GeoDataFrame,
    *,
    id: str,
    value: str,
    weights: str = "queen",
    permutations: int = 999,
    seed: int | None = None,
    source: str = "the areas",
) -> Autocorrelation:
    """Global Moran's I (esda.Moran) and Geary's C (esda.Geary) of `value` over `areas`.

    >>> from saferhub.analysis import autocorrelation
    >>> result = autocorrelation(zones, id="DataZone", value="rate", seed=1)  # doctest: +SKIP
    >>> round(result.morans_i, 3), result.p_value  # doctest: +SKIP
    """
    import esda

    if permutations < 1:
        raise AnalysisError("permutations must be at least 1 (999 is usual)")
    require_columns(areas, [id], source)
    check_unique(areas[id], id, source)
    ids = areas[id].to_numpy()
    y = numeric_values(areas, value, source)
    if np.ptp(y) == 0:
        raise AnalysisError(f"Every area has the same value ({y[0]:g}): there is no pattern")
    w = spatial_weights(areas, weights, ids=ids)
    w.transform = "R"
    # esda's Moran and Geary draw permutations from NumPy's global generator and take no
    # seed, so a seed is applied there and the caller's generator state put back after.
    saved = np.random.get_state()
    try:
        if seed is not None:
            np.random.seed(seed)
        # With 3 areas the z-scores are undefined (they divide by n - 3): left blank.
        with np.errstate(divide="ignore", invalid="ignore"):
            moran = esda.Moran(y, w, transformation="r", permutations=permutations)
            geary = esda.Geary(y, w, transformation="r", permutations=permutations)
    finally:
        np.random.set_state(saved)
    # esda's pseudo p-values count the one tail the statistic fell in; doubled, they are
    # two-sided, as for the hotspots.
    standardised = (y - y.mean()) / y.std()
    scatter = pd.DataFrame(
        {"id": ids, "value": standardised, "lag": np.asarray(w.sparse @ standardised)}
    )
    return Autocorrelation(
        areas=len(y),
        weights=weights,
        permutations=permutations,
        morans_i=float(moran.I),
        expected_i=float(moran.EI),
        z_score=float(moran.z_rand),
        p_value=min(1.0, 2 * float(moran.p_sim)),
        gearys_c=float(geary.C),
        expected_c=float(geary.EC),
        geary_z_score=float(geary.z_rand),
        geary_p_value=min(1.0, 2 * float(geary.p_sim)),
        scatter=scatter,
    )
