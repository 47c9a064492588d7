"""Reading an analyst's table and checking it, with errors that say what to fix and where.

Every problem an analyst can fix is an `EvaluationError` (a `ValueError`) whose message names
the column, the first bad row (data rows counted from 1, the heading row not counted) and the
reason. The command line turns it into a clean error; a notebook shows the message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SUFFIXES = {".csv": "CSV", ".xlsx": "XLSX"}


class EvaluationError(ValueError):
    """A problem with the data or the options that the analyst can fix."""


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or XLSX file (the first sheet), the column headings on the first row.

    >>> data = read_table("monthly_incidents.csv")  # doctest: +SKIP
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise EvaluationError(f"Cannot read {path}: use a CSV (.csv) or XLSX (.xlsx) file")
    if not path.is_file():
        raise EvaluationError(f"No such file: {path}")
    if path.stat().st_size == 0:
        raise EvaluationError(f"{path} is empty")
    try:
        if kind == "CSV":
            data = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            data = pd.read_excel(path, dtype=object)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvaluationError(f"Cannot read {path} as {kind}: {first}") from None
    except Exception as exc:  # openpyxl raises its own kinds for a damaged workbook
        raise EvaluationError(f"Cannot read {path} as {kind}: {type(exc).__name__}") from None
    data.columns = [str(c).strip() for c in data.columns]
    if len(data) == 0:
        raise EvaluationError(f"{path} has headings but no rows of data")
    return data


def require_columns(data: pd.DataFrame, columns: Iterable[str | None]) -> None:
    """Fail naming the first missing column and listing the columns that are there."""
    for column in columns:
        if column is not None and column not in data.columns:
            there = ", ".join(map(str, data.columns[:20]))
            raise EvaluationError(f"No column {column!r} in the data; the columns are: {there}")


def numeric_column(data: pd.DataFrame, column: str, *, what: str = "outcome") -> np.ndarray:
    """The column as floats; fail naming the first row that is blank or not a number."""
    raw = data[column]
    values = pd.to_numeric(
        raw.astype(str).str.replace(",", "", regex=False).str.strip()
        if raw.dtype == object
        else raw,
        errors="coerce",
    )
    bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
    if len(bad):
        row = int(bad[0])
        shown = raw.iloc[row]
        missing = pd.isna(shown) or str(shown).strip() in ("", "nan", "None", "<NA>")
        reason = "is blank" if missing else f"is {str(shown)!r}"
        raise EvaluationError(
            f"The {what} column {column!r} must hold numbers: data row {row + 1} {reason}"
        )
    return values.to_numpy(dtype=float)


@dataclass
class Periods:
    """A time column made orderable: numbers (years), dates or month labels like 2021-04."""

    keys: np.ndarray  # sortable values, one per row
    labels: dict  # key -> the label to show, as the data spelt it
    kind: str  # "number" or "date"

    def key_of(self, value: object, *, option: str = "--start") -> object:
        """The key of a period given on the command line or in Python, in the column's kind."""
        if self.kind == "number":
            try:
                return float(value)
            except (TypeError, ValueError):
                raise EvaluationError(
                    f"{option} {value!r} is not a period like those in the time column "
                    f"(numbers such as {self.labels[self.keys.min()]})"
                ) from None
        try:
            return pd.Timestamp(str(value)) if not isinstance(value, pd.Timestamp) else value
        except (TypeError, ValueError):
            raise EvaluationError(
                f"{option} {value!r} is not a period like those in the time column "
                f"(dates such as {self.labels[self.keys.min()]})"
            ) from None

    def ordered(self) -> list:
        return sorted(self.labels)


def parse_periods(data: pd.DataFrame, column: str) -> Periods:
    """Read the time column as numbers if every value is one, else as dates; name a bad row."""
    raw = data[column]
    text = raw.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        keys = numbers.to_numpy(dtype=float)
        kind = "number"
    else:
        dates = pd.to_datetime(text, errors="coerce", format="mixed")
        if dates.isna().any():
            row = int(np.flatnonzero(dates.isna().to_numpy())[0])
            raise EvaluationError(
                f"The time column {column!r} must hold years, months (2021-04) or dates: "
                f"data row {row + 1} is {raw.iloc[row]!r}"
            )
        keys = dates.to_numpy()
        kind = "date"
    labels: dict = {}
    for key, label in zip(keys, raw.tolist(), strict=True):
        labels.setdefault(key, _label(label))
    return Periods(keys=keys, labels=labels, kind=kind)


def _label(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.datetime):  # pd.Timestamp too: a date cell in a workbook
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def start_index(times: Sequence, start: object, *, column: str) -> int:
    """The position of the first period at or after `start` among the ordered periods; it
    must leave at least one period before and one after."""
    position = int(np.searchsorted(np.asarray(times), start, side="left"))
    if position == 0:
        raise EvaluationError(
            f"--start {_show(start)} is at or before the first period in {column!r}: there is "
            "no period before the start to compare with"
        )
    if position >= len(times):
        raise EvaluationError(
            f"--start {_show(start)} is after the last period in {column!r}: there is no "
            "period after the start to measure"
        )
    return position


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(value).date())
    return str(value)


@dataclass
class Panel:
    """A balanced panel: `outcome[i, t]` for unit `units[i]` at period `keys[t]`."""

    units: list[str]
    keys: np.ndarray
    labels: list
    outcome: np.ndarray
    covariates: dict[str, np.ndarray]  # name -> units x periods, NaN where not given
    periods: Periods

    def unit_index(self, name: str, *, option: str = "--treated") -> int:
        try:
            return self.units.index(str(name))
        except ValueError:
            shown = ", ".join(self.units[:12]) + (" ..." if len(self.units) > 12 else "")
            raise EvaluationError(
                f"{option} {name!r} is not a unit in the data; the units are: {shown}"
            ) from None


def read_panel(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    covariates: Sequence[str] = (),
) -> Panel:
    """Check and reshape long data (one row per unit and period) into a balanced panel.

    Fails naming the problem: a missing column, a non-numeric outcome (first bad row), a unit
    with a period twice, or a unit missing a period (an unbalanced panel).
    """
    require_columns(data, [unit, time, outcome, *covariates])
    periods = parse_periods(data, time)
    y = numeric_column(data, outcome)
    extra = {}
    for name in covariates:
        # Covariates may be blank in some periods (a survey not yet run): they are averaged
        # over the periods that have them. Text is still an error.
        raw = data[name]
        blank = raw.isna() | raw.astype(str).str.strip().isin(["", "nan", "None", "NA", "<NA>"])
        values = pd.to_numeric(raw.where(~blank), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & ~blank.to_numpy())
        if len(bad):
            raise EvaluationError(
                f"The covariate column {name!r} must hold numbers: data row {bad[0] + 1} is "
                f"{raw.iloc[bad[0]]!r}"
            )
        extra[name] = values.to_numpy(dtype=float)
    names = data[unit].astype(str).str.strip()
    units = sorted(names.unique())
    keys = np.array(sorted(periods.labels))
    unit_at = {u: i for i, u in enumerate(units)}
    time_at = {k: j for j, k in enumerate(keys)}
    rows = np.array([unit_at[u] for u in names])
    cols = np.array([time_at[k] for k in periods.keys])
    flat = rows * len(keys) + cols
    seen, first_row = np.unique(flat, return_index=True)
    if len(seen) < len(flat):
        duplicate = np.setdiff1d(np.arange(len(flat)), first_row)[0]
        raise EvaluationError(
            f"Unit {names.iloc[duplicate]!r} has period "
            f"{periods.labels[periods.keys[duplicate]]} more than once (data row "
            f"{duplicate + 1}): give one row per unit and period"
        )
    if len(seen) < len(units) * len(keys):
        missing = np.setdiff1d(np.arange(len(units) * len(keys)), seen)[0]
        raise EvaluationError(
            f"The panel is unbalanced: unit {units[missing // len(keys)]!r} has no row for "
            f"period {periods.labels[keys[missing % len(keys)]]}; every unit needs every period "
            f"({len(units)} units x {len(keys)} periods = {len(units) * len(keys)} rows, "
            f"the data has {len(flat)})"
        )
    outcome_matrix = np.empty((len(units), len(keys)))
    outcome_matrix.flat[flat] = y
    covariate_matrices = {}
    for name, values in extra.items():
        matrix = np.empty((len(units), len(keys)))
        matrix.flat[flat] = values
        covariate_matrices[name] = matrix
    return Panel(
        units=units,
        keys=keys,
        labels=[periods.labels[k] for k in keys],
        outcome=outcome_matrix,
        covariates=covariate_matrices,
        periods=periods,
    )
