"""Bad rows never stop the good ones and never vanish: each is listed with its row, field,
reason and value; --strict imports nothing if any row is bad; --dry-run writes nothing."""

import io

import pytest

from saferhub.imports.models import RunStatus
from saferhub.imports.selectors import rejections_write_csv
from saferhub.incidents.models import Incident
from saferhub.people.models import PersonRecord
from tests.imports.conftest import incident_row, run_import, write_csv

pytestmark = pytest.mark.django_db


def problems(run) -> list[tuple]:
    return list(run.rejections.values_list("row_number", "field", "reason", "value"))


@pytest.fixture
def mixed_file(tmp_path):
    """Eight rows, of which rows 3, 5, 6, 7 and 9 (spreadsheet rows) are bad."""
    rows = [
        incident_row(1),
        incident_row(2, Incident_Type="BURGLARY"),
        incident_row(3),
        incident_row(4, Date_Occurred="31/02/2025 10:00"),
        incident_row(5, Postcode="NOT A CODE"),
        incident_row(6, Occurrence_Number=""),
        incident_row(7),
        incident_row(1, Details="the same reference again"),
    ]
    return write_csv(tmp_path / "mixed.csv", rows)


def test_good_rows_are_imported_and_each_bad_one_is_reported(profiles, mixed_file, small_batches):
    run = run_import(mixed_file, profiles["police-occurrences"])
    assert run.status == RunStatus.FINISHED
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (8, 3, 5)
    assert sorted(Incident.objects.values_list("source_ref", flat=True)) == [
        "PS/000001",
        "PS/000003",
        "PS/000007",
    ]
    found = problems(run)
    assert found[0] == (
        3,
        "Incident Type",
        "unknown code 'BURGLARY'; the profile knows ASB - NOISE, DOMESTIC, FIRE RAISING",
        "BURGLARY",
    )
    assert found[1][:2] == (5, "Date Occurred")
    assert found[1][2].startswith("'31/02/2025 10:00' is not a date and time in a form the profile")
    assert found[2] == (
        6,
        "Postcode",
        "'NOT A CODE' is not a UK postcode (expected something like DD1 4HN)",
        "NOT A CODE",
    )
    assert found[3] == (7, "Occurrence Number", "is empty; a value is required", "")
    assert found[4] == (
        9,
        "Occurrence Number",
        "source reference PS/000001 appears already at row 2; only the first row with a "
        "reference is imported",
        "PS/000001",
    )


def test_the_report_is_a_csv_of_every_problem(profiles, mixed_file):
    run = run_import(mixed_file, profiles["police-occurrences"])
    output = io.StringIO()
    assert rejections_write_csv(run, output) == 5
    lines = output.getvalue().splitlines()
    assert lines[0] == "row,source reference,field,reason,value"
    assert lines[1].startswith("3,PS/000002,Incident Type,\"unknown code 'BURGLARY';")


def test_a_value_that_looks_like_a_formula_is_not_one_in_the_report(profiles, tmp_path):
    path = write_csv(tmp_path / "f.csv", [incident_row(1, Risk="=HYPERLINK(1)")])
    run = run_import(path, profiles["police-occurrences"])
    output = io.StringIO()
    rejections_write_csv(run, output)
    assert ",'=HYPERLINK(1)" in output.getvalue()


def test_strict_imports_nothing_when_a_row_is_bad(profiles, mixed_file, small_batches):
    run = run_import(mixed_file, profiles["police-occurrences"], strict=True)
    assert run.status == RunStatus.REFUSED
    assert run.message.startswith("5 row(s) have problems and the import was all or nothing")
    assert len(problems(run)) == 5
    assert Incident.objects.count() == 0
    assert PersonRecord.objects.count() == 0


def test_strict_imports_everything_when_every_row_is_good(profiles, tmp_path, small_batches):
    path = write_csv(tmp_path / "good.csv", [incident_row(n) for n in range(1, 8)])
    run = run_import(path, profiles["police-occurrences"], strict=True)
    assert run.status == RunStatus.FINISHED
    assert (run.rows_read, run.rows_inserted) == (7, 7)
    assert Incident.objects.count() == 7


def test_a_dry_run_reports_and_counts_but_writes_nothing(profiles, mixed_file, small_batches):
    run = run_import(mixed_file, profiles["police-occurrences"], dry_run=True)
    assert run.status == RunStatus.FINISHED
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (8, 3, 5)
    assert len(problems(run)) == 5
    assert Incident.objects.count() == 0
    assert PersonRecord.objects.count() == 0


def test_a_row_with_the_wrong_number_of_cells_is_rejected_alone(profiles, tmp_path):
    path = write_csv(tmp_path / "short.csv", [incident_row(n) for n in range(1, 5)])
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = "PS/000002,oops\n"
    path.write_text("".join(lines))
    run = run_import(path, profiles["police-occurrences"])
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (4, 3, 1)
    assert problems(run) == [
        (3, "(the whole row)", "has 2 cells, but the heading row has 22", "PS/000002,oops")
    ]
    # The rows after it keep their own numbers.
    assert Incident.objects.filter(source_ref="PS/000004").exists()


def test_rows_of_empty_cells_are_not_rows(profiles, tmp_path):
    path = write_csv(tmp_path / "trailing.csv", [incident_row(1)])
    path.write_text(path.read_text() + "," * 21 + "\n" + "," * 21 + "\n")
    run = run_import(path, profiles["police-occurrences"])
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (1, 1, 0)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"Risk": "X"}, "Risk", "unknown code 'X'; the profile knows H, L, M"),
        ({"Flags": "MH;DRUNK"}, "Flags", "unknown code 'DRUNK'; the profile knows ALC, MH"),
        ({"Restricted": "perhaps"}, "Restricted", "is not yes or no"),
        ({"Restricted": "yes"}, "Restricted", "a restricted incident needs at least one relevant"),
        (
            {"Partners": "nobody"},
            "Partners",
            "nobody is not a member organisation of partnership fife",
        ),
        ({"Date Reported": "01/01/2020 10:00"}, "Date Reported", "is before the incident happened"),
        ({"Date Occurred": "01/01/2099 10:00"}, "Date Occurred", "is in the future"),
        ({"Victim DOB": "31/13/1984"}, "Victim DOB", "'31/13/1984' is not a date"),
        ({"Victim DOB": "01/01/2090"}, "Victim DOB", "the date of birth cannot be in the future"),
        ({"Victim Sex": "Q"}, "Victim Sex", "unknown code 'Q'; the profile knows F, M, U"),
        ({"X": "340250"}, "X", "an easting needs a northing, and a northing an easting"),
        ({"X": "east"}, "X", "is not a number"),
        ({"Occurrence Number": "R" * 101}, "Occurrence Number", "is longer than 100 characters"),
        (
            {
                "Victim ID": "",
                "Victim Forename": "",
                "Victim Surname": "",
                "Victim DOB": "1/1/1990",
            },
            "Victim ID",
            "the victim needs a reference or a name",
        ),
    ],
)
def test_each_rule_names_the_column_and_the_reason(profiles, tmp_path, changes, field, reason):
    path = write_csv(
        tmp_path / "bad.csv",
        [incident_row(1, **{k.replace(" ", "_"): v for k, v in changes.items()})],
    )
    run = run_import(path, profiles["police-occurrences"])
    assert run.rows_rejected == 1
    found = problems(run)
    assert (found[0][0], found[0][1]) == (2, field), found
    assert found[0][2].startswith(reason), found
