"""The Knox test for near repeats: counts by hand, against brute force, and the bands."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferhub.analysis import AnalysisError, near_repeat, parse_bands

# Four events, with every pair worked out by hand (distance in metres, gap in days):
#   A (0, 0) day 0   B (50, 0) day 3   C (0, 150) day 10   D (1000, 0) day 1
#   A-B  50 m, 3 d    A-C 150 m, 10 d   A-D 1000 m, 1 d
#   B-C 158 m, 7 d    B-D  950 m, 2 d   C-D 1011 m, 9 d
FOUR = pd.DataFrame(
    {
        "x": [0, 50, 0, 1000],
        "y": [0, 0, 150, 0],
        "date": pd.to_datetime(["2026-01-01", "2026-01-04", "2026-01-11", "2026-01-02"]),
    }
)


def test_observed_pairs_in_each_cell_counted_by_hand():
    result = near_repeat(
        FOUR,
        x="x",
        y="y",
        date="date",
        distance_bands="0-100,101-200",
        time_bands="0-7,8-14",
        iterations=9,
        seed=1,
    )
    assert result.matrix("observed").to_numpy().tolist() == [
        [1, 0, 0],  # 0-100 m: A-B at 3 days
        [1, 1, 0],  # 101-200 m: B-C at 7 days, A-C at 10 days
        [2, 1, 0],  # more than 200 m: A-D, B-D within 7 days; C-D at 9 days
    ]
    assert result.pairs == 6
    assert result.distance_bands[-1] == "more than 200 metres"
    assert result.time_bands[-1] == "more than 14 days"


def test_expected_pairs_approach_the_exact_expectation():
    # Shuffling the 4 dates over the 4 places gives each place pair a random pair of the
    # dates. Of the 6 gaps between the dates (3, 10, 1, 7, 2, 9 days), 4 are within 7 days
    # and 2 within 8-14 days, so a band with k place pairs expects k * 4/6 and k * 2/6.
    result = near_repeat(
        FOUR,
        x="x",
        y="y",
        date="date",
        distance_bands="0-100,101-200",
        time_bands="0-7,8-14",
        iterations=4000,
        seed=2,
    )
    exact = np.array([[1, 2, 3]]).T * np.array([[4 / 6, 2 / 6, 0]])
    np.testing.assert_allclose(result.matrix("expected").to_numpy(dtype=float), exact, atol=0.05)
    # A-B's cell holds 1 pair; a shuffle gives it 1 pair with chance 4/6, so p ~ 0.67.
    cell = result.cells.iloc[0]
    assert cell["p_value"] == pytest.approx(4 / 6, abs=0.03)
    assert cell["knox_ratio"] == pytest.approx(1 / (4 / 6), rel=0.05)


def test_a_burst_of_near_repeats_is_significant():
    rng = np.random.default_rng(3)
    background = pd.DataFrame(
        {
            "x": rng.uniform(0, 5000, 300),
            "y": rng.uniform(0, 5000, 300),
            "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 365, 300), "D"),
        }
    )
    # Ten burglaries next door to each other within a week.
    burst = pd.DataFrame(
        {
            "x": 2500 + rng.uniform(0, 50, 10),
            "y": 2500 + rng.uniform(0, 50, 10),
            "date": pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 7, 10), "D"),
        }
    )
    events = pd.concat([background, burst], ignore_index=True)
    result = near_repeat(
        events,
        x="x",
        y="y",
        date="date",
        distance_bands="0-100,101-200",
        time_bands="0-7,8-14",
        iterations=199,
        seed=4,
    )
    first = result.cells.iloc[0]
    assert first["observed"] >= 45  # the 10 burst events make 45 pairs
    assert first["knox_ratio"] > 5
    assert first["p_value"] == pytest.approx(1 / 200)
    assert first["significant"]


def _brute_force(x, y, days, space, time):
    """Every pair, placed by the documented rule: a band runs from just above the previous
    band's upper bound up to and including its own; the first from 0."""

    def band(value, bands):
        for index, (_, high) in enumerate(bands):
            if value <= high:
                return index
        return len(bands)

    counts = np.zeros((len(space) + 1, len(time) + 1), dtype=int)
    for i, j in itertools.combinations(range(len(x)), 2):
        distance = math.hypot(x[i] - x[j], y[i] - y[j])
        counts[band(distance, space), band(abs(days[i] - days[j]), time)] += 1
    return counts


bands = st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=3).map(
    lambda steps: [
        (0 if i == 0 else sum(steps[:i]) + 1, sum(steps[: i + 1])) for i in range(len(steps))
    ]
)


@given(
    events=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=120),
            st.integers(min_value=0, max_value=120),
            st.integers(min_value=0, max_value=60),
        ),
        min_size=2,
        max_size=25,
    ),
    space=bands,
    time=bands,
)
@settings(max_examples=150, deadline=None)
def test_observed_counts_equal_a_brute_force_count_of_every_pair(events, space, time):
    x, y, days = (list(column) for column in zip(*events, strict=True))
    frame = pd.DataFrame(
        {"x": x, "y": y, "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(days, "D")}
    )
    result = near_repeat(
        frame,
        x="x",
        y="y",
        date="date",
        distance_bands=space,
        time_bands=time,
        iterations=1,
        seed=0,
    )
    observed = result.cells["observed"].to_numpy().reshape(len(space) + 1, len(time) + 1)
    assert (observed == _brute_force(x, y, days, space, time)).all()
    assert observed.sum() == len(x) * (len(x) - 1) // 2


def test_bands_are_read_as_written():
    assert parse_bands("0-0, 1-100,101-200", unit="metres") == [(0, 0), (1, 100), (101, 200)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0-100,50-200", "without overlapping"),
        ("10-100", "must start at 0"),
        ("0-100,200-150", "ends before it starts"),
        ("0-100;101-200", "FROM-TO"),
        ("near", "FROM-TO"),
    ],
)
def test_bad_bands_say_what_is_wrong(text, message):
    with pytest.raises(AnalysisError, match=message):
        near_repeat(FOUR, x="x", y="y", date="date", distance_bands=text, time_bands="0-7")


def test_a_bad_date_names_the_row():
    events = FOUR.assign(date=["2026-01-01", "2026-01-04", "soon", "2026-01-02"])
    with pytest.raises(AnalysisError, match=r"Column 'date' .* row 3 is 'soon'"):
        near_repeat(events, x="x", y="y", date="date", distance_bands="0-100", time_bands="0-7")


def test_a_missing_coordinate_column_is_named():
    with pytest.raises(AnalysisError, match=r"has no column 'easting'"):
        near_repeat(FOUR, x="easting", y="y", date="date", distance_bands="0-100", time_bands="0-7")


def test_too_many_close_pairs_asks_for_narrower_bands(monkeypatch):
    from saferhub.analysis import knox

    # Within 1000 m: A-B, A-C, A-D (exactly 1000), B-C and B-D; C-D is 1011 m apart.
    monkeypatch.setattr(knox, "MAX_CLOSE_PAIRS", 3)
    with pytest.raises(AnalysisError, match=r"5 pairs of events are within 1000 metres"):
        near_repeat(FOUR, x="x", y="y", date="date", distance_bands="0-1000", time_bands="0-7")
