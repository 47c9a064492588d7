"""Trends: monthly counts with empty months, seasonality and the same period last year."""

import numpy as np
import pandas as pd
import pytest

from saferhub.analysis import AnalysisError, trends


def _events(dates: list[str], **columns) -> pd.DataFrame:
    return pd.DataFrame({"occurred": dates, **columns})


# 1 Jan 2024 to 5 Mar 2025: 2 events in Jan 2024, none in Feb, 1 in Mar; 3 in Jan 2025, 1 in
# Mar 2025 (the last date in the data is 5 March 2025).
DATES = [
    "2024-01-01",
    "15/01/2024",
    "2024-03-03",
    "2025-01-10",
    "2025-01-11",
    "2025-01-31",
    "05/03/2025",
]


def test_it_counts_by_month_with_empty_months_as_zero():
    result = trends(_events(DATES), date="occurred")
    monthly = result.monthly.set_index("month")["count"]
    assert len(monthly) == 15  # January 2024 to March 2025
    assert monthly[pd.Timestamp("2024-01-01")] == 2
    assert monthly[pd.Timestamp("2024-02-01")] == 0
    assert monthly[pd.Timestamp("2025-01-01")] == 3
    assert monthly.sum() == 7


def test_it_compares_with_the_same_dates_a_year_earlier():
    comparison = trends(_events(DATES), date="occurred").comparison.set_index("period")
    # Latest month: 1-5 March 2025 (1 event) against 1-5 March 2024 (1, on the 3rd).
    latest = comparison.loc["latest month"]
    assert (latest["count"], latest["year_before"], latest["change"]) == (1, 1, 0)
    # Year to date: 1 Jan - 5 Mar 2025 (4) against 1 Jan - 5 Mar 2024 (3): +1, +33.3%.
    ytd = comparison.loc["year to date"]
    assert (ytd["count"], ytd["year_before"], ytd["change"]) == (4, 3, 1)
    assert ytd["percent_change"] == pytest.approx(33.3)
    # Last 12 months: 6 Mar 2024 - 5 Mar 2025; a year earlier starts before the data does.
    last12 = comparison.loc["last 12 months"]
    assert last12["count"] == 4
    assert last12["year_before"] is None or pd.isna(last12["year_before"])


def test_it_splits_by_a_column_and_keeps_blank_groups():
    events = _events(DATES, theme=["asb", "asb", "fire", "asb", None, "fire", "asb"])
    result = trends(events, date="occurred", by=["theme"])
    totals = result.monthly.groupby("theme")["count"].sum().to_dict()
    assert totals == {"asb": 4, "fire": 2, "(blank)": 1}
    ytd = result.comparison.set_index(["theme", "period"]).loc[("asb", "year to date")]
    assert (ytd["count"], ytd["year_before"]) == (2, 2)


def test_the_seasonal_index_is_the_months_average_against_an_average_month():
    result = trends(_events(DATES), date="occurred")
    season = result.seasonality.set_index("month_name")
    # January: (2 + 3) / 2 = 2.5 a month against 7 / 15 on average.
    assert season.loc["Jan", "average_count"] == 2.5
    assert season.loc["Jan", "index"] == pytest.approx(2.5 / (7 / 15) * 100)
    assert season["seasonal_effect"].isna().all()  # under 24 months: no STL


def test_with_two_years_or_more_stl_finds_the_seasonal_peak():
    rng = np.random.default_rng(1)
    days = pd.date_range("2022-01-01", "2025-12-31", freq="D")
    # Twice as many events each December as in other months.
    weight = np.where(days.month == 12, 2.0, 1.0)
    chosen = rng.choice(days, size=6000, p=weight / weight.sum())
    result = trends(pd.DataFrame({"occurred": chosen}), date="occurred")
    season = result.seasonality.set_index("month_of_year")
    assert season["seasonal_effect"].idxmax() == 12
    assert season.loc[12, "index"] > 150


def test_a_bad_date_names_the_row():
    with pytest.raises(AnalysisError, match=r"'occurred' .* row 2 is 'last Tuesday'"):
        trends(_events(["2026-01-01", "last Tuesday"]), date="occurred")


def test_a_missing_group_column_is_named():
    with pytest.raises(AnalysisError, match=r"has no column 'ward'"):
        trends(_events(DATES), date="occurred", by=["ward"])


def test_real_datetimes_are_taken_as_they_are():
    events = _events(pd.to_datetime(["2025-01-01 23:59", "2025-02-01 00:00"]).tolist())
    result = trends(events, date="occurred")
    assert result.monthly["count"].tolist() == [1, 1]
