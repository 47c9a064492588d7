"""Harm and deprivation: rates by SIMD quintile or decile, and how concentrated harm is.

SIMD ranks data zones from 1 (most deprived) to 6,976 (least deprived) in SIMD 2020;
deciles and quintiles are national (decile 1 is Scotland's most deprived 10% of data zones),
so a partnership's figures can be set beside Scotland's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saferhub.analysis.reading import AnalysisError, numeric_values, require_columns

DATA_ZONES_SIMD_2020 = 6976


@dataclass
class Concentration:
    """How much harm falls in the most deprived areas.

    - share_in_most_deprived_10 / _20: the share of incidents in data zones in Scotland's most
      deprived 10% (decile 1) and 20% (deciles 1-2), beside the share of residents there
      (population_share_10 / _20): 0.25 against 0.10 means two and a half times their share.
    - concentration_index: from -1 to +1, data zones ordered from most to least deprived and
      weighted by residents (Wagstaff, O'Donnell and van Doorslaer's concentration index,
      C = 1 - 2 x area under the concentration curve): negative when harm is concentrated in
      deprived areas, 0 when it is spread as people are.
    - gini: from 0 (every data zone has the same rate) to 1 (all harm in one data zone),
      whatever their deprivation, residents as weights.
    """

    incidents: float
    population: float
    share_in_most_deprived_10: float
    population_share_10: float
    share_in_most_deprived_20: float
    population_share_20: float
    concentration_index: float
    gini: float


def simd_decile(rank, *, data_zones: int = DATA_ZONES_SIMD_2020) -> np.ndarray:
    """National SIMD decile (1 = most deprived 10%) from SIMD rank (1 = most deprived)."""
    rank = np.asarray(rank, dtype=float)
    return np.ceil(rank * 10 / data_zones).clip(1, 10).astype(int)


def rates_by_deprivation(
    zones: pd.DataFrame,
    *,
    count: str,
    population: str,
    simd_rank: str | None = None,
    simd_decile_column: str | None = None,
    groups: str = "quintile",
    data_zones: int = DATA_ZONES_SIMD_2020,
    source: str = "the data zones",
) -> pd.DataFrame:
    """Incidents per 1,000 residents by SIMD quintile or decile (1 = most deprived).

    `zones` has one row per data zone with a count of incidents, its population and either
    its SIMD rank or its SIMD decile. The result has one row per quintile (or decile):
    data_zones, incidents, population, rate_per_1000, share_of_incidents,
    share_of_population, and rate_ratio (the rate against the least deprived group's).

    >>> from saferhub.analysis import rates_by_deprivation
    >>> rates_by_deprivation(zones, count="incidents", population="population",
    ...                      simd_rank="simd_rank")  # doctest: +SKIP
    """
    if groups not in ("quintile", "decile"):
        raise AnalysisError(f"groups must be 'quintile' or 'decile', not {groups!r}")
    incidents, people, decile = _inputs(
        zones, count, population, simd_rank, simd_decile_column, data_zones, source
    )
    group = decile if groups == "decile" else (decile + 1) // 2
    size = 10 if groups == "decile" else 5
    frame = pd.DataFrame({groups: group, "incidents": incidents, "population": people})
    table = (
        frame.groupby(groups)
        .agg(
            data_zones=("incidents", "size"),
            incidents=("incidents", "sum"),
            population=("population", "sum"),
        )
        .reindex(range(1, size + 1), fill_value=0)
        .reset_index()
    )
    table["rate_per_1000"] = np.where(
        table["population"] > 0,
        table["incidents"] / table["population"].where(table["population"] > 0) * 1000,
        np.nan,
    )
    table["share_of_incidents"] = (
        table["incidents"] / incidents.sum() if incidents.sum() else np.nan
    )
    table["share_of_population"] = table["population"] / people.sum()
    least = table["rate_per_1000"].iloc[-1]
    table["rate_ratio"] = table["rate_per_1000"] / least if least and least > 0 else np.nan
    return table


def concentration(
    zones: pd.DataFrame,
    *,
    count: str,
    population: str,
    simd_rank: str | None = None,
    simd_decile_column: str | None = None,
    data_zones: int = DATA_ZONES_SIMD_2020,
    source: str = "the data zones",
) -> Concentration:
    """Share of incidents in the most deprived 10% and 20% of data zones, the concentration
    index by deprivation and the Gini coefficient of rates (see `Concentration`).

    With only deciles given, zones within a decile keep their input order for the index.

    >>> from saferhub.analysis import concentration
    >>> concentration(zones, count="incidents", population="population",
    ...               simd_rank="simd_rank").concentration_index  # doctest: +SKIP
    """
    incidents, people, decile = _inputs(
        zones, count, population, simd_rank, simd_decile_column, data_zones, source
    )
    total, residents = incidents.sum(), people.sum()
    if total <= 0:
        raise AnalysisError(f"{source} hold no incidents: there is nothing to measure")
    order = (
        np.argsort(numeric_values(zones, simd_rank, source), kind="stable")
        if simd_rank
        else np.argsort(decile, kind="stable")
    )
    return Concentration(
        incidents=float(total),
        population=float(residents),
        share_in_most_deprived_10=float(incidents[decile == 1].sum() / total),
        population_share_10=float(people[decile == 1].sum() / residents),
        share_in_most_deprived_20=float(incidents[decile <= 2].sum() / total),
        population_share_20=float(people[decile <= 2].sum() / residents),
        concentration_index=concentration_index(incidents[order], people[order]),
        gini=gini(incidents, people),
    )


def concentration_index(incidents, population) -> float:
    """C = 1 - 2 x the area under the concentration curve, areas given from most to least
    deprived: the curve plots the cumulative share of incidents against the cumulative share
    of residents. Negative when harm is concentrated among the most deprived."""
    incidents = np.asarray(incidents, dtype=float)
    population = np.asarray(population, dtype=float)
    p = np.concatenate([[0.0], np.cumsum(population) / population.sum()])
    share = np.concatenate([[0.0], np.cumsum(incidents) / incidents.sum()])
    area = np.sum((p[1:] - p[:-1]) * (share[1:] + share[:-1]) / 2)
    # Trapezoids: exact for grouped data, where harm is spread evenly within each area.
    return float(1 - 2 * area)


def gini(incidents, population) -> float:
    """Gini coefficient of the rate (incidents per resident) across areas, residents as weights:
    1 - 2 x the area under the Lorenz curve with areas ordered from lowest rate to highest."""
    incidents = np.asarray(incidents, dtype=float)
    population = np.asarray(population, dtype=float)
    order = np.argsort(incidents / population, kind="stable")
    return concentration_index(incidents[order], population[order])


def _inputs(zones, count, population, simd_rank, simd_decile_column, data_zones, source):
    if (simd_rank is None) == (simd_decile_column is None):
        raise AnalysisError("Give either the SIMD rank column or the SIMD decile column (one)")
    require_columns(zones, [count, population, simd_rank or simd_decile_column], source)
    incidents = numeric_values(zones, count, source)
    people = numeric_values(zones, population, source)
    none = np.flatnonzero(people <= 0)
    if len(none):
        raise AnalysisError(
            f"Column {population!r} in {source} must be more than 0: "
            f"row {int(none[0]) + 1} is {people[none[0]]:g}"
        )
    if simd_rank:
        rank = numeric_values(zones, simd_rank, source)
        wrong = np.flatnonzero((rank < 1) | (rank > data_zones))
        if len(wrong):
            raise AnalysisError(
                f"Column {simd_rank!r} in {source} must be a SIMD rank from 1 to {data_zones}: "
                f"row {int(wrong[0]) + 1} is {rank[wrong[0]]:g}"
            )
        decile = simd_decile(rank, data_zones=data_zones)
    else:
        decile = numeric_values(zones, simd_decile_column, source)
        wrong = np.flatnonzero(~np.isin(decile, np.arange(1, 11)))
        if len(wrong):
            raise AnalysisError(
                f"Column {simd_decile_column!r} in {source} must be a decile from 1 to 10: "
                f"row {int(wrong[0]) + 1} is {decile[wrong[0]]:g}"
            )
        decile = decile.astype(int)
    return incidents, people, decile
