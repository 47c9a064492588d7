"""Analysis for partnership analysts: trends, hotspots, spatial autocorrelation, near repeats,
repeat locations and victims, and harm by deprivation.

The functions take pandas or geopandas objects and return plain dataclasses or DataFrames;
none of them needs Django, so they work in a notebook as they are. The same analyses run
from the command line as `saferhub analyse ...` (see docs/analysis.md).

In a notebook::

    import geopandas as gpd
    import pandas as pd
    from saferhub.analysis import (
        autocorrelation, hotspots, near_repeat, read_areas, read_events, trends, write_plot,
    )

    zones = read_areas("data_zones.gpkg")
    spots = hotspots(zones, id="DataZone", value="incidents", population="population",
                     weights="queen", permutations=999, seed=1, fdr=True)
    spots.table.sort_values("gi_z", ascending=False).head()
    write_plot(spots, "hotspots.png", areas=zones)

    events = read_events("incidents.csv")
    monthly = trends(events, date="occurred", by=["theme"])
    monthly.comparison                         # year to date against a year earlier

    knox = near_repeat(events, x="easting", y="northing", date="occurred",
                       distance_bands="0-0,1-100,101-200", time_bands="0-7,8-14,15-21",
                       iterations=999, seed=1)
    knox.matrix("knox_ratio")

Problems with the input raise `AnalysisError` (a ValueError) whose message names the file,
column or row to fix.
"""

import importlib

# Django imports this package when it loads the app; the exports load on first use, so that
# starting the web server or any command does not pay for importing pandas and PySAL.
_EXPORTS = {
    "AnalysisError": "reading",
    "read_areas": "reading",
    "read_events": "reading",
    "Autocorrelation": "global_autocorrelation",
    "autocorrelation": "global_autocorrelation",
    "Concentration": "deprivation",
    "concentration": "deprivation",
    "concentration_index": "deprivation",
    "gini": "deprivation",
    "rates_by_deprivation": "deprivation",
    "simd_decile": "deprivation",
    "Hotspots": "gi_star",
    "hotspots": "gi_star",
    "NearRepeat": "knox",
    "near_repeat": "knox",
    "parse_bands": "knox",
    "write_plot": "plots",
    "Repeats": "repeat_counts",
    "repeats": "repeat_counts",
    "Trends": "time_trends",
    "trends": "time_trends",
    "spatial_weights": "weights",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"saferhub.analysis.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'saferhub.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), *__all__]
