"""Reference data fixtures: tiny files in the published layouts."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from saferhub.geography.services import boundaries_import, simd_import

FIXTURES = Path(__file__).parent / "fixtures"
SIMD_CSV = FIXTURES / "simd_ranks.csv"
BOUNDARIES_BNG = FIXTURES / "data_zones_bng.geojson"
BOUNDARY_WGS84 = FIXTURES / "data_zone_wgs84.geojson"
POSTCODES_CSV = FIXTURES / "postcodes.csv"


def simd_rows() -> list[list[str]]:
    with SIMD_CSV.open(newline="") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def simd_xlsx(tmp_path) -> Path:
    """The same table as simd_ranks.csv as a workbook with a notes sheet first, as published,
    numbers as numbers."""
    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["SIMD 2020v2 ranks: synthetic test copy"])
    data = book.create_sheet("SIMD 2020v2 ranks")
    header, *rows = simd_rows()
    data.append(header)
    for row in rows:
        data.append(row[:3] + [int(value) for value in row[3:]])
    path = tmp_path / "SIMD_2020v2_ranks.xlsx"
    book.save(path)
    return path


@pytest.fixture
def simd_loaded(db) -> None:
    simd_import(SIMD_CSV)


@pytest.fixture
def boundaries_loaded(simd_loaded) -> None:
    boundaries_import(BOUNDARIES_BNG)
    boundaries_import(BOUNDARY_WGS84)
