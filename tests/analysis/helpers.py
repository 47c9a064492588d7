"""Small maps and event tables for the analysis tests, built in the test run."""

import geopandas as gpd
import numpy as np
from shapely.geometry import box


def lattice(rows: int, columns: int, values, *, size: float = 100.0, **more) -> gpd.GeoDataFrame:
    """A rows x columns grid of squares (British National Grid metres), numbered row by row
    from 1 at the top left, with `values` in column "value" and any `more` columns."""
    cells = [
        box(c * size, -(r + 1) * size, (c + 1) * size, -r * size)
        for r in range(rows)
        for c in range(columns)
    ]
    frame = {"area": [f"A{i + 1}" for i in range(rows * columns)], "value": np.asarray(values)}
    frame.update(more)
    return gpd.GeoDataFrame(frame, geometry=cells, crs="EPSG:27700")
