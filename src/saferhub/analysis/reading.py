"""Reading analysts' files and checking their columns, with errors that say what to fix.

Every problem an analyst can fix is raised as `AnalysisError`, whose message names the file,
the column and (for bad values) the first bad row, counting data rows from 1.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

AREA_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "shapefile",
}
EVENT_SUFFIXES = {".csv": "CSV", ".xlsx": "XLSX"}
DAY_FIRST = [f"%d{sep}%m{sep}%Y{time}" for sep in "/-." for time in ("", " %H:%M", " %H:%M:%S")]


class AnalysisError(ValueError):
    """A problem with the input that the analyst can fix; the message says what and where."""


def read_areas(path: str | Path) -> gpd.GeoDataFrame:
    """Read areas (polygons or points) from GeoJSON, GeoPackage or a shapefile.

    >>> areas = read_areas("data_zones.gpkg")  # doctest: +SKIP
    """
    import geopandas as gpd

    path = Path(path)
    kind = AREA_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise AnalysisError(
            f"Cannot read areas from {path}: use GeoJSON (.geojson), GeoPackage (.gpkg) "
            "or a shapefile (.shp)"
        )
    _must_exist(path)
    try:
        areas = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several kinds; all mean "not readable"
        raise AnalysisError(f"Cannot read {path} as {kind}: {_first_line(exc)}") from None
    if len(areas) == 0:
        raise AnalysisError(f"{path} holds no areas")
    return areas


def read_events(path: str | Path) -> pd.DataFrame:
    """Read events (one row each) from a CSV or XLSX file, the header on the first row.

    >>> events = read_events("incidents.csv")  # doctest: +SKIP
    """
    path = Path(path)
    kind = EVENT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise AnalysisError(f"Cannot read events from {path}: use CSV (.csv) or XLSX (.xlsx)")
    _must_exist(path)
    if path.stat().st_size == 0:
        raise AnalysisError(f"{path} is empty")
    try:
        events = _read_csv(path) if kind == "CSV" else pd.read_excel(path, engine="openpyxl")
    except pd.errors.EmptyDataError:
        raise AnalysisError(f"{path} is empty") from None
    except UnicodeDecodeError:
        raise AnalysisError(f"Cannot read {path}: it is not UTF-8 text") from None
    except (pd.errors.ParserError, zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
        raise AnalysisError(f"Cannot read {path} as {kind}: {_first_line(exc)}") from None
    if len(events) == 0:
        raise AnalysisError(f"{path} has a header but no rows")
    return events


def _read_csv(path: Path) -> pd.DataFrame:
    # The pyarrow reader is several times faster on large files. When it refuses a file, or
    # keeps text it could not decode as raw bytes, the C reader is asked instead: its
    # messages say which line is wrong.
    try:
        frame = pd.read_csv(path, engine="pyarrow")
    except pd.errors.EmptyDataError:
        raise
    except Exception:
        frame = None
    if frame is not None and not any(
        frame[c].dtype == object and frame[c].map(type).eq(bytes).any() for c in frame.columns
    ):
        return frame
    try:
        return pd.read_csv(path)
    except UnicodeDecodeError:
        # Spreadsheets saved as CSV on Windows are Windows-1252 text, not UTF-8.
        return pd.read_csv(path, encoding="cp1252")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], source: str = "the data") -> None:
    """Raise AnalysisError naming the first of `columns` that `frame` lacks."""
    for column in columns:
        if column not in frame.columns:
            have = ", ".join(str(c) for c in frame.columns if c != "geometry")
            raise AnalysisError(f"{source} has no column {column!r} (its columns are: {have})")


def numeric_values(frame: pd.DataFrame, column: str, source: str = "the data") -> np.ndarray:
    """The column as floats; AnalysisError names the first row that is blank or not a number."""
    require_columns(frame, [column], source)
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() | ~np.isfinite(values.to_numpy(dtype=float)))
    if len(bad):
        row = int(bad[0])
        raw = frame[column].iloc[row]
        shown = "blank" if pd.isna(raw) else repr(raw)
        raise AnalysisError(
            f"Column {column!r} in {source} must hold numbers: row {row + 1} is {shown}"
        )
    return values.to_numpy(dtype=float)


def date_values(frame: pd.DataFrame, column: str, source: str = "the data") -> pd.Series:
    """The column as dates and times; AnalysisError names the first row that is not a date.

    Text dates may be ISO (2026-03-31, optionally with a time) or day first as written in
    Scotland (31/03/2026, 31-03-2026 or 31.03.2026, optionally with HH:MM or HH:MM:SS).
    """
    require_columns(frame, [column], source)
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
    else:
        # Only ISO and the explicit day-first layouts are tried: a guessing parser would read
        # 2025-01-10 or 2025/01/10 as 1 October. The layout of the first date is tried first,
        # so that a file in one layout is parsed in one pass.
        layouts = ["ISO8601", *DAY_FIRST]
        first = raw.dropna().head(1)
        for layout in list(layouts):
            if len(first) and pd.to_datetime(first, errors="coerce", format=layout).notna().all():
                layouts.remove(layout)
                layouts.insert(0, layout)
                break
        parsed = pd.to_datetime(raw, errors="coerce", format=layouts[0])
        for layout in layouts[1:]:
            left = parsed.isna() & raw.notna()
            if not left.any():
                break
            parsed = parsed.fillna(pd.to_datetime(raw[left], errors="coerce", format=layout))
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        row = int(bad[0])
        value = raw.iloc[row]
        shown = "blank" if pd.isna(value) else repr(value)
        raise AnalysisError(
            f"Column {column!r} in {source} must hold dates (2026-03-31 or 31/03/2026): "
            f"row {row + 1} is {shown}"
        )
    return parsed


def check_unique(ids: pd.Series, column: str, source: str = "the data") -> None:
    """Raise AnalysisError naming the first id that appears more than once."""
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise AnalysisError(
            f"Column {column!r} in {source} must name each area once: "
            f"{duplicated.iloc[0]!r} appears more than once"
        )


def _must_exist(path: Path) -> None:
    if not path.exists():
        raise AnalysisError(f"No such file: {path}")
    if path.is_dir():
        raise AnalysisError(f"{path} is a folder, not a file")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
