"""Harm by deprivation: rates by SIMD quintile, shares, concentration index and Gini, by hand."""

import pandas as pd
import pytest

from saferhub.analysis import (
    AnalysisError,
    concentration,
    concentration_index,
    gini,
    rates_by_deprivation,
    simd_decile,
)

# Four data zones. SIMD 2020 ranks 6,976 zones; decile = ceil(rank * 10 / 6976):
#   rank 100 -> decile 1 (quintile 1), 1500 -> 3 (q2), 3000 -> 5 (q3), 6900 -> 10 (q5).
ZONES = pd.DataFrame(
    {
        "zone": ["S01000001", "S01000002", "S01000003", "S01000004"],
        "incidents": [30, 10, 5, 5],
        "population": [1000, 1000, 1000, 2000],
        "simd_rank": [100, 1500, 3000, 6900],
    }
)


def test_deciles_follow_the_national_ranks():
    assert simd_decile([1, 697, 698, 3488, 3489, 6976]).tolist() == [1, 1, 2, 5, 6, 10]


def test_rates_per_1000_by_quintile_by_hand():
    table = rates_by_deprivation(
        ZONES, count="incidents", population="population", simd_rank="simd_rank"
    ).set_index("quintile")
    assert table["data_zones"].tolist() == [1, 1, 1, 0, 1]
    # 30 / 1000 * 1000 = 30 per 1,000; 10; 5; none in quintile 4; 5 / 2000 * 1000 = 2.5.
    assert table.loc[[1, 2, 3, 5], "rate_per_1000"].tolist() == [30.0, 10.0, 5.0, 2.5]
    assert pd.isna(table.loc[4, "rate_per_1000"])
    assert table.loc[1, "rate_ratio"] == 12.0  # 30 / 2.5
    assert table.loc[1, "share_of_incidents"] == 0.6  # 30 of 50
    assert table.loc[5, "share_of_population"] == 0.4  # 2000 of 5000


def test_deciles_can_be_given_instead_of_ranks():
    zones = ZONES.assign(decile=[1, 3, 5, 10]).drop(columns="simd_rank")
    table = rates_by_deprivation(
        zones,
        count="incidents",
        population="population",
        simd_decile_column="decile",
        groups="decile",
    )
    assert len(table) == 10
    assert table.set_index("decile").loc[3, "incidents"] == 10


def test_concentration_by_hand():
    result = concentration(ZONES, count="incidents", population="population", simd_rank="simd_rank")
    assert result.share_in_most_deprived_10 == 0.6  # 30 of 50 in decile 1
    assert result.population_share_10 == 0.2  # 1000 of 5000
    assert result.share_in_most_deprived_20 == 0.6  # no zone in decile 2
    # Most deprived first: cumulative residents 0, .2, .4, .6, 1 and incidents 0, .6, .8, .9, 1.
    # Area under the curve = .2(0+.6)/2 + .2(.6+.8)/2 + .2(.8+.9)/2 + .4(.9+1)/2
    #                      = .06 + .14 + .17 + .38 = .75, so C = 1 - 2(.75) = -0.5.
    assert result.concentration_index == pytest.approx(-0.5)
    # Gini of rates: lowest rate first (zone 4, 3, 2, 1): residents 0, .4, .6, .8, 1 and
    # incidents 0, .1, .2, .4, 1; area = .02 + .03 + .06 + .14 = .25, Gini = 1 - .5 = 0.5.
    assert result.gini == pytest.approx(0.5)


def test_equal_rates_everywhere_give_zero():
    assert concentration_index([10, 20, 30], [100, 200, 300]) == pytest.approx(0)
    assert gini([10, 20, 30], [100, 200, 300]) == pytest.approx(0)


def test_all_harm_in_the_least_deprived_gives_a_positive_index():
    assert concentration_index([0, 0, 10], [100, 100, 100]) > 0


def test_a_rank_outside_simd_is_named():
    zones = ZONES.assign(simd_rank=[100, 7000, 3000, 6900])
    with pytest.raises(AnalysisError, match=r"'simd_rank' .* row 2 is 7000"):
        concentration(zones, count="incidents", population="population", simd_rank="simd_rank")


def test_a_zero_population_is_named():
    zones = ZONES.assign(population=[1000, 1000, 0, 2000])
    with pytest.raises(AnalysisError, match=r"'population' .* row 3 is 0"):
        rates_by_deprivation(
            zones, count="incidents", population="population", simd_rank="simd_rank"
        )


def test_it_needs_a_rank_or_a_decile():
    with pytest.raises(AnalysisError, match=r"either the SIMD rank"):
        rates_by_deprivation(ZONES, count="incidents", population="population")
