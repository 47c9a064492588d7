"""Import fixtures: the Fife partnership, mapping profiles, small files written on the fly."""

import csv
from pathlib import Path

import pytest

from saferhub.imports.models import MappingProfile
from saferhub.imports.profiles import profiles_apply
from saferhub.imports.services import import_run_create, import_run_execute
from saferhub.partnerships.models import Organisation
from tests.geography.conftest import boundaries_loaded, simd_loaded  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"
PROFILES = FIXTURES / "profiles.yaml"

INCIDENT_HEADINGS = [
    "Occurrence Number",
    "Date Occurred",
    "Date Reported",
    "Incident Type",
    "Details",
    "Risk",
    "Flags",
    "Restricted",
    "Partners",
    "Location ID",
    "Location",
    "Postcode",
    "X",
    "Y",
    "Victim ID",
    "Victim Forename",
    "Victim Surname",
    "Victim DOB",
    "Victim Sex",
    "Suspect Forename",
    "Suspect Surname",
    "Suspect DOB",
]


def incident_row(number: int, **changes: str) -> dict[str, str]:
    """A good police occurrence row; `changes` replace cells by heading (underscores for
    spaces: Incident_Type="DOMESTIC")."""
    row = {
        "Occurrence Number": f"PS/{number:06d}",
        "Date Occurred": f"{1 + number % 28:02d}/03/2025 22:{number % 60:02d}",
        "Date Reported": f"{1 + number % 28:02d}/03/2025 23:{number % 60:02d}",
        "Incident Type": "ASB - NOISE",
        "Details": f"Loud music at flat {number}",
        "Risk": "M",
        "Flags": "",
        "Restricted": "no",
        "Partners": "",
        "Location ID": f"LOC{number % 7}",
        "Location": f"{number % 7} High Street",
        "Postcode": "DD1 4HN",
        "X": "",
        "Y": "",
        "Victim ID": f"V{number % 5}",
        "Victim Forename": "Ann",
        "Victim Surname": f"Smith{number % 5}",
        "Victim DOB": "12/03/1984",
        "Victim Sex": "F",
        "Suspect Forename": "",
        "Suspect Surname": "",
        "Suspect DOB": "",
    }
    for key, value in changes.items():
        row[key.replace("_", " ")] = value
    return row


def write_csv(path: Path, rows: list[dict], headings: list[str] | None = None) -> Path:
    headings = headings or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=headings)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def profiles(fife) -> dict[str, MappingProfile]:
    """The three profiles of fixtures/profiles.yaml, applied."""
    return {p.name: p for p in profiles_apply(text=PROFILES.read_text(), source=str(PROFILES))}


@pytest.fixture
def small_batches(settings):
    """Batches of 3 rows, so that a few rows make several batches (and transactions)."""
    settings.IMPORT_BATCH_ROWS = 3


def run_import(path: Path, profile: MappingProfile, **options):
    """Create and execute a run of `path`; returns the finished run."""
    run = import_run_create(
        organisation=profile.organisation,
        kind=profile.kind,
        profile=profile,
        file_name=path.name,
        stored_path=str(path),
        **options,
    )
    return import_run_execute(run)


def organisation(code: str) -> Organisation:
    return Organisation.objects.get(code=code)
