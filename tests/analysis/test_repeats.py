"""Repeat locations and victims within a rolling window, counted by hand."""

import pandas as pd
import pytest

from saferhub.analysis import AnalysisError, repeats

# P1: 1 Jan, 5 Jan (4 days later: a repeat within 30 days), 1 Mar (55 days after: not).
# P2: once.  P3: twice on 10 Jan (the second is a repeat).  One event with no place.
EVENTS = pd.DataFrame(
    {
        "place": ["P1", "P2", "P1", "P3", "P3", "P1", None],
        "occurred": [
            "2025-01-01",
            "2025-01-01",
            "2025-01-05",
            "2025-01-10",
            "2025-01-10",
            "2025-03-01",
            "2025-03-02",
        ],
    }
)


def test_repeats_within_a_window_by_hand():
    result = repeats(EVENTS, key="place", date="occurred", window_days=30)
    assert (result.events, result.keys) == (6, 3)
    assert (result.repeat_events, result.repeat_keys) == (2, 2)
    assert result.repeat_share == pytest.approx(2 / 6)
    # Gaps between consecutive events at a place: 4 and 55 days (P1), 0 (P3): median 4.
    assert result.median_days_to_repeat == 4
    gaps = result.time_to_repeat.set_index("gap")["repeats"]
    assert (gaps["same day"], gaps["1-7 days"], gaps["29-91 days"]) == (1, 1, 1)
    assert gaps.sum() == 3


def test_the_top_list_ranks_by_most_events_in_one_window():
    result = repeats(EVENTS, key="place", date="occurred", window_days=30)
    assert result.top["place"].tolist() == ["P1", "P3", "P2"]
    assert result.top["most_in_30_days"].tolist() == [2, 2, 1]
    assert result.top["events"].tolist() == [3, 2, 1]
    assert str(result.top["first"].iloc[0]) == "2025-01-01"


def test_a_wider_window_catches_the_later_repeat():
    result = repeats(EVENTS, key="place", date="occurred", window_days=60)
    assert result.repeat_events == 3
    assert result.top["most_in_60_days"].iloc[0] == 3


def test_a_missing_key_column_is_named():
    with pytest.raises(AnalysisError, match=r"has no column 'victim'"):
        repeats(EVENTS, key="victim", date="occurred")
