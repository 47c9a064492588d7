"""`saferhub import`: its output and exit codes, through call_command and as a real process."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from saferhub.imports.models import ImportRun, MappingProfile
from tests.conftest import EXAMPLE_FILE
from tests.imports.conftest import PROFILES, incident_row, write_csv

pytestmark = pytest.mark.django_db
SAFERHUB = Path(sys.executable).parent / "saferhub"


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_profile_apply_and_export(fife):
    output = run_command("profile", "apply", str(PROFILES))
    assert "police-fife: police-occurrences (incidents)" in output
    assert "Applied 3 profile(s)" in output
    exported = run_command("profile", "export", "--org", "nhs-fife")
    assert exported.startswith("profiles:\n- organisation: nhs-fife\n  name: nhs-people\n")


def test_a_bad_profile_file_names_the_key_and_changes_nothing(fife, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(PROFILES.read_text().replace("H: red", "H: crimson"))
    with pytest.raises(CommandError) as caught:
        run_command("profile", "apply", str(broken))
    assert "was not applied and nothing changed" in str(caught.value)
    assert "profiles[0].codes.risk.H: 'crimson' is not a hub code for risk" in str(caught.value)
    assert not MappingProfile.objects.exists()


def test_an_import_prints_its_counts_and_its_first_problems(profiles, tmp_path):
    rows = [incident_row(n) for n in range(1, 4)]
    rows += [incident_row(n, Risk="?") for n in range(4, 30)]
    path = write_csv(tmp_path / "occurrences.csv", rows)
    output = run_command(
        "incidents",
        str(path),
        "--org",
        "police-fife",
        "--profile",
        "police-occurrences",
        "--no-progress",
    )
    run = ImportRun.objects.get()
    assert "  row 5, Risk: unknown code '?'; the profile knows H, L, M (value: '?')" in output
    assert output.count("  row ") == 20
    assert f"and 6 more; full report: saferhub import report {run.pk} --csv FILE" in output
    assert f"Import run {run.pk}: 29 rows read in" in output
    assert "3 new, 0 updated, 0 unchanged, 26 rejected." in output


def test_the_report_command_writes_the_csv(profiles, tmp_path):
    path = write_csv(tmp_path / "a.csv", [incident_row(1, Risk="?")])
    run_command(
        "incidents",
        str(path),
        "--org",
        "police-fife",
        "--profile",
        "police-occurrences",
        "--no-progress",
    )
    run = ImportRun.objects.get()
    report = tmp_path / "report.csv"
    output = run_command("report", str(run.pk), "--csv", str(report))
    assert output == f"Wrote 1 problem(s) of import run {run.pk} to {report}.\n"
    assert report.read_text().splitlines()[1].startswith("2,PS/000001,Risk,")
    summary = run_command("report", str(run.pk))
    assert "incidents of police-fife from a.csv, finished." in summary


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("incidents", "missing.csv", "--org", "police-fife", "--profile", "x"),
            "There is no file",
        ),
        (
            ("incidents", "{file}", "--org", "nobody", "--profile", "x"),
            "No organisation with code 'nobody'.",
        ),
        (
            ("incidents", "{file}", "--org", "police-fife", "--profile", "nope"),
            "police-fife has no mapping profile 'nope'; its profiles of incidents are "
            "police-occurrences.",
        ),
        (
            ("people", "{file}", "--org", "police-fife", "--profile", "police-occurrences"),
            "Profile police-occurrences is for incidents, not people",
        ),
        (("report", "999"), "No import run 999."),
    ],
)
def test_bad_arguments_get_one_clear_message(profiles, tmp_path, args, message):
    path = write_csv(tmp_path / "a.csv", [incident_row(1)])
    with pytest.raises(CommandError) as caught:
        run_command(*[a.replace("{file}", str(path)) for a in args])
    assert message in str(caught.value)


def test_a_refused_file_is_a_command_error(profiles, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(CommandError) as caught:
        run_command(
            "incidents",
            str(path),
            "--org",
            "police-fife",
            "--profile",
            "police-occurrences",
            "--no-progress",
        )
    assert str(caught.value) == "empty.csv was not imported: The file is empty."


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory) -> dict:
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="true", SAFERHUB_VAR_DIR=str(var))
    for args in (
        ("migrate", "--verbosity", "0"),
        ("partnership", "apply", str(EXAMPLE_FILE)),
        ("import", "profile", "apply", str(PROFILES)),
    ):
        done = subprocess.run(
            [str(SAFERHUB), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    return env


def saferhub(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SAFERHUB), *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.django_db(False)
def test_as_a_process_it_shows_progress_and_exits_cleanly(hub_env, tmp_path):
    path = write_csv(tmp_path / "a.csv", [incident_row(n) for n in range(1, 6)])
    done = saferhub(
        hub_env,
        "import",
        "incidents",
        str(path),
        "--org",
        "police-fife",
        "--profile",
        "police-occurrences",
    )
    assert done.returncode == 0, done.stderr
    assert "5 new, 0 updated, 0 unchanged, 0 rejected." in done.stdout
    assert "100%" in done.stderr and "5 rows" in done.stderr
    refused = saferhub(
        hub_env,
        "import",
        "incidents",
        str(tmp_path / "none.csv"),
        "--org",
        "police-fife",
        "--profile",
        "police-occurrences",
    )
    assert refused.returncode == 1
    assert "There is no file" in refused.stderr
    assert "Traceback" not in refused.stderr
    wrong = saferhub(hub_env, "import", "incidents", str(path), "--org", "police-fife")
    assert wrong.returncode == 2
    assert "--profile" in wrong.stderr


@pytest.mark.django_db(False)
def test_help_explains_the_command(hub_env):
    done = saferhub(hub_env, "import", "incidents", "--help")
    assert done.returncode == 0
    assert "--strict" in done.stdout and "--dry-run" in done.stdout
