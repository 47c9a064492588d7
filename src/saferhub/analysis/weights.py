"""Spatial weights: which areas count as neighbours, from a short text an analyst can type."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

import numpy as np

from saferhub.analysis.reading import AnalysisError

if TYPE_CHECKING:
    import geopandas as gpd
    from libpysal.weights import W

WEIGHTS_HELP = (
    "queen (areas sharing an edge or a corner), rook (sharing an edge), knn:K (each area's K "
    "nearest areas, by centre) or distance:D (areas whose centres are within D, in the map's "
    "units: metres for British National Grid)"
)


def spatial_weights(areas: gpd.GeoDataFrame, spec: str = "queen", *, ids=None) -> W:
    """Binary spatial weights (libpysal `W`) for `areas`, a GeoDataFrame, in its row order.

    `spec` is one of "queen", "rook", "knn:K" or "distance:D". Areas left with no neighbours
    (islands) are an error, since every statistic here compares an area with its neighbours.

    >>> w = spatial_weights(areas, "knn:6")  # doctest: +SKIP
    """
    from libpysal import weights as lw

    kind, size = _parse(spec)
    geometry = areas.geometry
    missing = np.flatnonzero((geometry.isna() | geometry.is_empty).to_numpy())
    if len(missing):
        raise AnalysisError(f"Area in row {int(missing[0]) + 1} has no geometry")
    n = len(areas)
    if n < 3:
        raise AnalysisError(f"Need at least 3 areas for spatial statistics; there are {n}")
    # libpysal warns about islands and disconnected groups; islands are reported as an error
    # below, and a map in separate parts (islands in the sea) is legitimate.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "queen":
            w = lw.Queen.from_dataframe(areas, use_index=False)
        elif kind == "rook":
            w = lw.Rook.from_dataframe(areas, use_index=False)
        elif kind == "knn":
            if size >= n:
                raise AnalysisError(
                    f"knn:{int(size)} needs more than {int(size)} areas; there are {n}"
                )
            w = lw.KNN.from_array(_centres(areas), k=int(size))
        else:
            if areas.crs is not None and areas.crs.is_geographic:
                raise AnalysisError(
                    "distance weights need coordinates in metres, but the areas are in "
                    "degrees of latitude and longitude: reproject them first (for example "
                    "to British National Grid, EPSG:27700)"
                )
            w = lw.DistanceBand.from_array(_centres(areas), threshold=size, binary=True)
    if w.islands:
        labels = list(ids) if ids is not None else list(range(1, n + 1))
        shown = ", ".join(str(labels[i]) for i in w.islands[:10])
        more = "" if len(w.islands) <= 10 else f" and {len(w.islands) - 10} more"
        raise AnalysisError(
            f"{len(w.islands)} area(s) have no neighbours with {spec} weights: {shown}{more}. "
            "Use knn:K, or a distance band wide enough to reach them"
        )
    w.transform = "B"
    return w


def _parse(spec: str) -> tuple[str, float]:
    text = (spec or "").strip().lower()
    if text in ("queen", "rook"):
        return text, 0.0
    match = re.fullmatch(r"knn:(\d+)", text)
    if match and int(match.group(1)) >= 1:
        return "knn", float(match.group(1))
    match = re.fullmatch(r"distance:(\d+(?:\.\d+)?)", text)
    if match and float(match.group(1)) > 0:
        return "distance", float(match.group(1))
    raise AnalysisError(f"Unknown weights {spec!r}: use {WEIGHTS_HELP}")


def _centres(areas: gpd.GeoDataFrame) -> np.ndarray:
    # Centroids, as GeoDa and ArcGIS use for distance-based neighbours; geopandas warns about
    # centroids in degrees, which is fine for ranking nearest neighbours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        points = areas.geometry.centroid
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
