"""`saferhub geography` as an operator uses it."""

import io

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from saferhub.cli import hub_help
from saferhub.geography.models import DataZone
from tests.geography.conftest import BOUNDARIES_BNG, BOUNDARY_WGS84, POSTCODES_CSV, SIMD_CSV

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("geography", *args, stdout=out)
    return out.getvalue()


def load_everything() -> None:
    run("import-simd", str(SIMD_CSV))
    run("import-boundaries", str(BOUNDARIES_BNG))
    run("import-boundaries", str(BOUNDARY_WGS84), "--level", "data_zone")
    run("import-postcodes", str(POSTCODES_CSV))


def test_each_import_says_what_it_loaded():
    assert run("import-simd", str(SIMD_CSV)).strip() == (
        f"Loaded 10 data zones from {SIMD_CSV}: 10 new, 0 updated."
    )
    assert run("import-simd", str(SIMD_CSV)).strip().endswith("0 new, 10 updated.")
    assert "Loaded 4 data zone boundaries" in run("import-boundaries", str(BOUNDARIES_BNG))
    assert "Loaded 4 postcodes" in run("import-postcodes", str(POSTCODES_CSV))


def test_a_bad_file_is_explained_without_a_traceback(tmp_path):
    broken = tmp_path / "ranks.csv"
    broken.write_text(SIMD_CSV.read_text().replace("S01007709,S02001442", "S01007709,nowhere"))
    with pytest.raises(CommandError) as caught:
        run("import-simd", str(broken))
    assert str(caught.value).startswith(f"{broken} was not imported and nothing changed: row 6")
    assert "column Intermediate_Zone" in str(caught.value)
    assert not DataZone.objects.exists()


def test_resolve_prints_the_data_zone_and_its_rank():
    load_everything()
    assert run("resolve", "--postcode", "dd1 4hn").strip() == (
        "Data zone S01007705, Dundee City: SIMD rank 3 (decile 3, quintile 2; "
        "1 is the most deprived)."
    )
    assert "S01007709" in run("resolve", "--easting", "341250", "--northing", "730250")
    assert "S01007705" in run("resolve", "--lat", "56.4586", "--lon", "-2.9713")


def test_resolve_says_when_it_cannot():
    load_everything()
    out = run("resolve", "--postcode", "DD9 9ZZ")
    assert out.strip() == "Could not resolve that place to a data zone."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Give --postcode, or --easting and --northing, or --lat and --lon."),
        (["--easting", "340000"], "Give --easting with --northing"),
        (["--postcode", "DD1"], "The postcode was not looked up: 'DD1' is not a UK postcode"),
    ],
)
def test_resolve_refuses_incomplete_questions(args, message):
    with pytest.raises(CommandError, match=message):
        run("resolve", *args)


def test_the_command_line_exits_1_with_the_message_on_stderr(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    with pytest.raises(SystemExit) as caught:
        execute_from_command_line(["saferhub", "geography", "import-simd", str(missing)])
    assert caught.value.code == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert f"{missing} was not imported and nothing changed: there is no such file" in error


def test_the_hub_help_lists_the_commands():
    assert "geography import-simd FILE" in hub_help()
    assert "geography import-boundaries FILE" in hub_help()
