"""A file that cannot be imported at all is refused with one clear sentence, and nothing is
written."""

import pytest
from openpyxl import Workbook

from saferhub.imports.models import RunStatus
from saferhub.incidents.models import Incident
from tests.imports.conftest import INCIDENT_HEADINGS, incident_row, run_import, write_csv

pytestmark = pytest.mark.django_db


def refused(path, profile, **options) -> str:
    run = run_import(path, profile, **options)
    assert run.status == RunStatus.REFUSED, run.message
    assert Incident.objects.count() == 0
    assert run.rows_inserted == 0
    return run.message


def test_a_file_not_in_utf8_names_the_byte_and_where(profiles, tmp_path):
    path = write_csv(tmp_path / "latin1.csv", [incident_row(1), incident_row(2)])
    text = path.read_text(encoding="utf-8").replace("Loud music at flat 2", "Café noise")
    path.write_bytes(text.encode("latin-1"))
    message = refused(path, profiles["police-occurrences"])
    position = text.encode("latin-1").index(b"\xe9")
    assert message.startswith(
        f"The file is not UTF-8 text: byte 0xE9 at position {position:,} (line 3)"
    )
    assert "save the file as UTF-8" in message
    assert "file.encoding" in message


def test_the_profile_can_name_another_encoding(profiles, tmp_path):
    profile = profiles["police-occurrences"]
    profile.spec["file"]["encoding"] = "windows-1252"
    profile.save()
    path = write_csv(tmp_path / "cp1252.csv", [incident_row(1, Details="Café noise")])
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    run = run_import(path, profile)
    assert run.status == RunStatus.FINISHED, run.message
    assert Incident.objects.get().narrative == "Café noise"


def test_an_empty_file_is_refused(profiles, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert refused(path, profiles["police-occurrences"]) == "The file is empty."


def test_a_file_of_headings_only_is_refused(profiles, tmp_path):
    path = tmp_path / "headings.csv"
    path.write_text(",".join(INCIDENT_HEADINGS) + "\n")
    message = refused(path, profiles["police-occurrences"])
    assert message == "The file has a heading row but no data rows."


def test_a_missing_required_column_is_named_with_the_profile(profiles, tmp_path):
    rows = [incident_row(1)]
    headings = [h for h in INCIDENT_HEADINGS if h not in ("Incident Type", "Date Occurred")]
    path = write_csv(tmp_path / "missing.csv", [{h: rows[0][h] for h in headings}], headings)
    message = refused(path, profiles["police-occurrences"])
    assert message.startswith(
        "The file has no column 'Incident Type' (category) or 'Date Occurred' (occurred_at), "
        "which profile police-occurrences needs; its headings are 'Occurrence Number',"
    )


def test_a_heading_given_twice_is_refused(profiles, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(",".join([*INCIDENT_HEADINGS, "Postcode"]) + "\n" + "x," * 22 + "y\n")
    message = refused(path, profiles["police-occurrences"])
    assert message == (
        "The heading 'Postcode' appears twice (columns 12 and 23); each column needs a "
        "heading of its own."
    )


def test_an_unclosed_quote_is_refused_naming_its_row(profiles, tmp_path):
    path = write_csv(tmp_path / "quote.csv", [incident_row(n) for n in range(1, 5)])
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("Loud music", '"Loud music', 1)
    path.write_text("".join(lines))
    message = refused(path, profiles["police-occurrences"])
    assert message.startswith('A quoted value in row 3 is never closed (a " is missing)')


def test_a_workbook_that_is_not_one_is_refused(profiles, tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    message = refused(path, profiles["police-occurrences"])
    assert message.startswith("The file is not an Excel workbook (.xlsx) that can be read")


def test_an_old_excel_file_is_refused(profiles, tmp_path):
    path = tmp_path / "report.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    message = refused(path, profiles["police-occurrences"])
    assert message == "The file is an old Excel workbook (.xls); save it as .xlsx or as CSV UTF-8."


def test_a_sheet_the_workbook_does_not_have_is_named(profiles, tmp_path):
    profile = profiles["police-occurrences"]
    profile.spec["file"]["sheet"] = "Occurrences"
    profile.save()
    book = Workbook()
    book.active.title = "Sheet1"
    book.active.append(INCIDENT_HEADINGS)
    path = tmp_path / "book.xlsx"
    book.save(path)
    message = refused(path, profile)
    assert message == (
        "The workbook has no sheet 'Occurrences' (file.sheet in the profile); its sheets are "
        "Sheet1."
    )


def test_a_file_read_with_the_wrong_delimiter_is_refused(profiles, tmp_path, monkeypatch):
    monkeypatch.setattr("saferhub.imports.reading.MAX_MISSHAPEN_ROWS", 2)
    path = tmp_path / "semicolons.csv"
    lines = [",".join(INCIDENT_HEADINGS)] + ["a;b;c,d"] * 5
    path.write_text("\n".join(lines) + "\n")
    message = refused(path, profiles["police-occurrences"])
    assert "rows do not have as many cells as the heading row" in message
    assert "file.delimiter" in message


def test_a_theme_the_partnership_does_not_have_is_refused(profiles, tmp_path):
    profile = profiles["police-occurrences"]
    profile.spec["default_themes"] = ["sexual_crime", "made_up"]
    profile.save()
    path = write_csv(tmp_path / "a.csv", [incident_row(1)])
    message = refused(path, profile)
    assert message == (
        "Profile police-occurrences names theme(s) made_up, which partnership fife does not have."
    )
