"""Getis-Ord Gi*: z-scores checked against the formula worked by hand, classes and FDR."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferhub.analysis import AnalysisError, hotspots
from saferhub.analysis.gi_star import classify
from tests.analysis.helpers import lattice


def test_it_matches_ord_and_getis_formula_on_a_line_of_five_areas():
    # Five squares in a row; each area's neighbourhood is itself and the areas beside it.
    # Ord and Getis (1995), eq. 14: z_i = (sum_j w_ij x_j - mean * W_i) /
    #   (S * sqrt((n * sum_j w_ij^2 - W_i^2) / (n - 1))), S^2 = sum x^2 / n - mean^2.
    # x = 2, 4, 6, 8, 30: n = 5, sum 50, mean 10, sum of squares 1020, S^2 = 204 - 100 = 104.
    areas = lattice(1, 5, [2, 4, 6, 8, 30])
    result = hotspots(areas, id="area", value="value", weights="rook", permutations=99, seed=1)
    z = result.table["gi_z"].to_numpy()
    s = math.sqrt(104)
    # Area 1: itself and area 2, W = 2: (2 + 4 - 10 * 2) / (S * sqrt((5*2 - 4) / 4)).
    assert z[0] == pytest.approx((6 - 20) / (s * math.sqrt(6 / 4)))
    # Area 3: areas 2, 3, 4, W = 3: (4 + 6 + 8 - 30) / (S * sqrt((15 - 9) / 4)).
    assert z[2] == pytest.approx((18 - 30) / (s * math.sqrt(6 / 4)))
    # Area 5: areas 4 and 5: (8 + 30 - 20) / (S * sqrt(6 / 4)) = 18 / sqrt(156) = 1.4411.
    assert z[4] == pytest.approx(18 / math.sqrt(156))
    assert z[4] == pytest.approx(1.4411, abs=1e-4)


def test_it_matches_the_formula_on_a_3x3_lattice_with_rook_neighbours():
    # Values row by row; the centre (area 5) has 4 rook neighbours, W = 5 with itself.
    values = [1, 2, 3, 4, 20, 6, 7, 8, 9]
    n, total = 9, 60
    mean = total / n
    s = math.sqrt(sum(v * v for v in values) / n - mean**2)
    result = hotspots(
        lattice(3, 3, values), id="area", value="value", weights="rook", permutations=99, seed=2
    )
    table = result.table.set_index("id")
    centre = (2 + 4 + 20 + 6 + 8 - mean * 5) / (s * math.sqrt((n * 5 - 25) / (n - 1)))
    corner = (1 + 2 + 4 - mean * 3) / (s * math.sqrt((n * 3 - 9) / (n - 1)))
    assert table.loc["A5", "gi_z"] == pytest.approx(centre)
    assert table.loc["A1", "gi_z"] == pytest.approx(corner)


def test_an_area_whose_neighbourhood_is_the_whole_map_is_never_a_spot():
    # With queen neighbours the centre of a 3x3 grid sees all nine areas: its Gi* cannot
    # differ from chance, however large its value.
    result = hotspots(
        lattice(3, 3, [1, 1, 1, 1, 50, 1, 1, 1, 1]),
        id="area",
        value="value",
        permutations=99,
        seed=3,
    )
    centre = result.table.set_index("id").loc["A5"]
    assert centre["spot"] == "not significant"
    assert centre["p_value"] == 1.0


def test_a_cluster_of_high_values_is_a_hot_spot_and_low_values_a_cold_spot():
    rng = np.random.default_rng(4)
    values = rng.poisson(5, 100).astype(float)
    grid = values.reshape(10, 10)
    grid[:3, :3] = 40  # top left: high
    grid[7:, 7:] = 0  # bottom right: low
    result = hotspots(
        lattice(10, 10, grid.ravel()), id="area", value="value", permutations=999, seed=5
    )
    table = result.table.set_index("id")
    assert table.loc["A12", "spot"] == "hot spot 99%"  # row 2, column 2
    assert table.loc["A12", "bin"] == 3
    assert table.loc["A89", "spot"].startswith("cold spot")  # row 9, column 9
    assert result.counts()["hot spot 99%"] >= 1


def test_the_same_seed_gives_the_same_p_values():
    areas = lattice(4, 4, np.arange(16) ** 2)
    first = hotspots(areas, id="area", value="value", permutations=199, seed=7)
    second = hotspots(areas, id="area", value="value", permutations=199, seed=7)
    assert first.table["p_value"].tolist() == second.table["p_value"].tolist()


def test_with_a_population_the_value_is_a_rate_per_1000():
    areas = lattice(2, 2, [10, 20, 5, 1], population=[1000, 4000, 500, 2000])
    result = hotspots(
        areas,
        id="area",
        value="value",
        population="population",
        weights="knn:2",
        permutations=9,
        seed=1,
    )
    assert result.table["value"].tolist() == pytest.approx([10.0, 5.0, 10.0, 0.5])
    assert result.rate_per == 1000


@given(
    p=st.lists(st.floats(min_value=0.001, max_value=1.0), min_size=1, max_size=60),
    data=st.data(),
)
@settings(max_examples=200, deadline=None)
def test_fdr_never_makes_an_area_more_significant(p, data):
    z = np.array(
        data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=len(p), max_size=len(p)))
    )
    plain, _, plain_bins = classify(z, np.array(p), fdr=False)
    corrected, _, corrected_bins = classify(z, np.array(p), fdr=True)
    assert (corrected <= plain).all()
    assert (np.abs(corrected_bins) <= np.abs(plain_bins)).all()


def test_classes_follow_the_p_value_thresholds():
    confidence, spot, bins = classify(
        np.array([2.0, 2.0, 2.0, -2.0, 1.0]), np.array([0.01, 0.05, 0.10, 0.011, 0.5])
    )
    assert confidence.tolist() == [99, 95, 90, 95, 0]
    assert spot.tolist() == [
        "hot spot 99%",
        "hot spot 95%",
        "hot spot 90%",
        "cold spot 95%",
        "not significant",
    ]
    assert bins.tolist() == [3, 2, 1, -2, 0]


def test_a_non_numeric_value_names_the_column_and_row():
    areas = lattice(2, 2, ["3", "4", "lots", "5"])
    with pytest.raises(AnalysisError, match=r"Column 'value' .* row 3 is 'lots'"):
        hotspots(areas, id="area", value="value")


def test_a_missing_column_is_named():
    with pytest.raises(AnalysisError, match=r"has no column 'count'"):
        hotspots(lattice(2, 2, [1, 2, 3, 4]), id="area", value="count")


def test_a_repeated_area_id_is_named():
    areas = lattice(2, 2, [1, 2, 3, 4])
    areas.loc[3, "area"] = "A1"
    with pytest.raises(AnalysisError, match=r"'A1' appears more than once"):
        hotspots(areas, id="area", value="value")


def test_a_zero_population_is_named():
    areas = lattice(2, 2, [1, 2, 3, 4], population=[10, 0, 10, 10])
    with pytest.raises(AnalysisError, match=r"'population' .* row 2 is 0"):
        hotspots(areas, id="area", value="value", population="population")


def test_islands_are_reported_by_id():
    areas = lattice(2, 2, [1, 2, 3, 4])
    far = lattice(1, 1, [9])
    far["geometry"] = far.translate(xoff=10_000)
    far["area"] = "ISLAND"
    both = gpd.GeoDataFrame(pd.concat([areas, far], ignore_index=True), crs=areas.crs)
    with pytest.raises(AnalysisError, match=r"1 area\(s\) have no neighbours .*ISLAND"):
        hotspots(both, id="area", value="value")


@pytest.mark.parametrize("spec", ["queen:2", "knn", "knn:0", "distance:-5", "hex"])
def test_a_bad_weights_spec_says_what_is_allowed(spec):
    with pytest.raises(AnalysisError, match=r"Unknown weights .* use queen"):
        hotspots(lattice(2, 2, [1, 2, 3, 4]), id="area", value="value", weights=spec)


def test_distance_weights_refuse_degrees():
    areas = lattice(2, 2, [1, 2, 3, 4]).set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(AnalysisError, match=r"coordinates in metres"):
        hotspots(areas, id="area", value="value", weights="distance:150")


def test_every_area_the_same_has_no_hotspots():
    with pytest.raises(AnalysisError, match=r"same value"):
        hotspots(lattice(2, 2, [3, 3, 3, 3]), id="area", value="value")


def test_a_negative_value_is_named():
    with pytest.raises(AnalysisError, match=r"must be 0 or more for Gi\*: row 2 is -3"):
        hotspots(lattice(2, 2, [1, -3, 3, 4]), id="area", value="value")
