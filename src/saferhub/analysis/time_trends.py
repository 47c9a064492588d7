"""Trends: counts of events by month, their seasonality, and the same period last year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saferhub.analysis.reading import DAY_FIRST, AnalysisError, date_values, require_columns

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# The day-first layouts reading.date_values accepts, for DuckDB's strptime.
DUCKDB_DAY_FIRST = "[" + ", ".join(f"'{layout}'" for layout in DAY_FIRST) + "]"
# STL needs two full seasonal cycles to tell a season from a trend.
STL_MONTHS = 24


@dataclass
class Trends:
    """Counts by month and what they mean.

    - monthly: one row per group and month (`month` is the month's first day), months with
      no events included as 0.
    - seasonality: per group and month of the year, the average count in that month and an
      index (100 = an average month; 130 = that month usually has 30% more); when a group
      has at least 24 months, `seasonal_effect` is STL's seasonal component averaged over
      that month (events above or below the trend), else blank.
    - comparison: per group, the latest month, the year to date and the last 12 months
      (each ending on the last date in the data), beside the same dates a year earlier,
      with the change and % change (blank when there is no data a year earlier, or the
      earlier count is 0).
    """

    monthly: pd.DataFrame
    seasonality: pd.DataFrame
    comparison: pd.DataFrame
    by: list[str]
    first_date: pd.Timestamp
    last_date: pd.Timestamp


def trends(
    events: pd.DataFrame,
    *,
    date: str,
    by: list[str] | tuple[str, ...] = (),
    source: str = "the events",
) -> Trends:
    """Monthly counts of `events` by `date`, split by the `by` columns, counted with DuckDB.

    >>> import pandas as pd
    >>> from saferhub.analysis import trends
    >>> events = pd.read_csv("incidents.csv")  # doctest: +SKIP
    >>> result = trends(events, date="occurred", by=["theme"])  # doctest: +SKIP
    >>> result.comparison  # year to date against the same dates last year  # doctest: +SKIP
    """
    by = list(by)
    require_columns(events, [date, *by], source)
    if len(events) == 0:
        raise AnalysisError(f"{source} has no rows")
    daily = _daily_counts(events, date, by, source)
    first, last = daily["day"].min(), daily["day"].max()
    monthly = _monthly(daily, by, first, last)
    return Trends(
        monthly=monthly,
        seasonality=_seasonality(monthly, by),
        comparison=_comparison(daily, by, first, last),
        by=by,
        first_date=first,
        last_date=last,
    )


def _daily_counts(events: pd.DataFrame, date: str, by: list[str], source: str) -> pd.DataFrame:
    """Events per group and day: DuckDB does the pass over every event (parsing text dates
    too); what follows works on at most a few thousand days per group."""
    import duckdb

    frame = events[[date, *by]]
    if not pd.api.types.is_datetime64_any_dtype(frame[date]):
        frame = frame.assign(**{date: frame[date].astype("string")})
        column = _quote(date)
        parsed = f"TRY_CAST({column} AS TIMESTAMP), TRY_STRPTIME({column}, {DUCKDB_DAY_FIRST})"
        day = f"CAST(COALESCE({parsed}) AS DATE)"
    else:
        day = f"CAST({_quote(date)} AS DATE)"
    keys = "".join(f"{_quote(c)}, " for c in by)
    connection = duckdb.connect()
    try:
        connection.register("events", frame)
        daily = connection.execute(
            f"SELECT {keys}{day} AS day, count(*) AS count FROM events GROUP BY ALL"  # noqa: S608
        ).df()
    finally:
        connection.close()
    if daily["day"].isna().any():
        # A blank or unreadable date: the slower pandas reading names its row.
        date_values(events, date, source)
        return _daily_counts(
            events.assign(**{date: date_values(events, date, source)}), date, by, source
        )
    daily["day"] = pd.to_datetime(daily["day"])
    for column in by:
        # Blank group values become a group of their own rather than vanishing.
        daily[column] = daily[column].astype(object).where(daily[column].notna(), "(blank)")
    return daily


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _groups(frame: pd.DataFrame, by: list[str]):
    if not by:
        yield (), frame
        return
    for key, part in frame.groupby(by, sort=True, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), part


def _monthly(daily: pd.DataFrame, by: list[str], first, last) -> pd.DataFrame:
    months = pd.date_range(first.to_period("M").to_timestamp(), last, freq="MS")
    parts = []
    for key, part in _groups(daily, by):
        counts = part.groupby(part["day"].dt.to_period("M").dt.to_timestamp())["count"].sum()
        counts = counts.reindex(months, fill_value=0)
        frame = pd.DataFrame({"month": months, "count": counts.to_numpy(dtype=int)})
        for column, value in zip(by, key, strict=True):
            frame.insert(len(frame.columns) - 2, column, value)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _seasonality(monthly: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    from statsmodels.tsa.seasonal import STL

    parts = []
    for key, part in _groups(monthly, by):
        counts = part.set_index("month")["count"].astype(float)
        month_of_year = counts.index.month
        mean_by_month = counts.groupby(month_of_year).mean().reindex(range(1, 13))
        overall = counts.mean()
        frame = pd.DataFrame(
            {
                "month_of_year": range(1, 13),
                "month_name": MONTH_NAMES,
                "average_count": mean_by_month.to_numpy(),
                "index": (mean_by_month / overall * 100).to_numpy() if overall else np.nan,
                "seasonal_effect": np.nan,
            }
        )
        if len(counts) >= STL_MONTHS:
            seasonal = STL(counts.to_numpy(), period=12, robust=True).fit().seasonal
            effect = pd.Series(seasonal).groupby(np.asarray(month_of_year)).mean()
            frame["seasonal_effect"] = effect.reindex(range(1, 13)).to_numpy()
        for position, (column, value) in enumerate(zip(by, key, strict=True)):
            frame.insert(position, column, value)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _comparison(daily: pd.DataFrame, by: list[str], first, last) -> pd.DataFrame:
    periods = [
        ("latest month", last.replace(day=1)),
        ("year to date", last.replace(month=1, day=1)),
        ("last 12 months", last - pd.DateOffset(years=1) + pd.Timedelta(days=1)),
    ]
    rows = []
    for key, part in _groups(daily, by):
        days, counts = part["day"], part["count"]
        for name, start in periods:
            start_before = start - pd.DateOffset(years=1)
            end_before = last - pd.DateOffset(years=1)
            current = int(counts[(days >= start) & (days <= last)].sum())
            covered = start_before >= first
            previous = (
                int(counts[(days >= start_before) & (days <= end_before)].sum())
                if covered
                else None
            )
            change = None if previous is None else current - previous
            percent = None if not previous else round(change / previous * 100, 1)
            row = dict(zip(by, key, strict=True))
            row.update(
                {
                    "period": name,
                    "from": start.date(),
                    "to": last.date(),
                    "count": current,
                    "year_before": previous,
                    "change": change,
                    "percent_change": percent,
                }
            )
            rows.append(row)
    return pd.DataFrame(rows)
