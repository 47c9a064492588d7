"""Reading files: every unreadable file is named with what is wrong."""

import pandas as pd
import pytest

from saferhub.analysis import AnalysisError, read_areas, read_events
from tests.analysis.helpers import lattice


def test_it_reads_csv_and_xlsx_events(tmp_path):
    frame = pd.DataFrame({"occurred": ["2025-01-01", "2025-02-01"], "theme": ["asb", "fire"]})
    frame.to_csv(tmp_path / "events.csv", index=False)
    frame.to_excel(tmp_path / "events.xlsx", index=False)
    assert read_events(tmp_path / "events.csv")["theme"].tolist() == ["asb", "fire"]
    assert read_events(tmp_path / "events.xlsx")["theme"].tolist() == ["asb", "fire"]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_it_reads_areas_in_each_format(tmp_path, suffix):
    lattice(2, 2, [1, 2, 3, 4]).to_file(tmp_path / f"areas{suffix}")
    areas = read_areas(tmp_path / f"areas{suffix}")
    assert areas["value"].tolist() == [1, 2, 3, 4]


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(AnalysisError, match=r"No such file: .*nothing.csv"):
        read_events(tmp_path / "nothing.csv")


def test_an_empty_file_is_named(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(AnalysisError, match=r"empty.csv is empty"):
        read_events(tmp_path / "empty.csv")


def test_a_header_without_rows_is_named(tmp_path):
    (tmp_path / "header.csv").write_text("occurred,theme\n")
    with pytest.raises(AnalysisError, match=r"header.csv has a header but no rows"):
        read_events(tmp_path / "header.csv")


def test_a_file_that_is_not_a_spreadsheet_is_named(tmp_path):
    (tmp_path / "fake.xlsx").write_text("this is not a spreadsheet")
    with pytest.raises(AnalysisError, match=r"Cannot read .*fake.xlsx as XLSX"):
        read_events(tmp_path / "fake.xlsx")


def test_a_file_that_is_not_geojson_is_named(tmp_path):
    (tmp_path / "broken.geojson").write_text("{not json")
    with pytest.raises(AnalysisError, match=r"Cannot read .*broken.geojson as GeoJSON"):
        read_areas(tmp_path / "broken.geojson")


def test_an_unknown_format_is_named(tmp_path):
    with pytest.raises(AnalysisError, match=r"use CSV \(.csv\) or XLSX"):
        read_events(tmp_path / "events.parquet")
    with pytest.raises(AnalysisError, match=r"use GeoJSON"):
        read_areas(tmp_path / "areas.kml")


def test_a_csv_saved_by_excel_on_windows_is_read(tmp_path):
    (tmp_path / "windows.csv").write_bytes("place,cost\nK\xf6ln,\xa35\n".encode("cp1252"))
    assert read_events(tmp_path / "windows.csv").iloc[0].tolist() == ["K\xf6ln", "\xa35"]
