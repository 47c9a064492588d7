"""Importing a partner's incident export: rows per second against PostgreSQL COPY, and memory.

The target (issue 4): importing 1,000,000 incident rows from CSV takes at most 4 times as long
as a plain COPY of the same file into an unindexed table of text columns, measured in the same
run on the same database; and the import's peak memory stays under 1 GiB and does not grow
with the file (1,000,000 against 3,000,000 rows).

Each import runs in a child process of its own, so that its peak resident memory is its own
and not this process's. BENCH_IMPORT_ROWS="20000,60000" measures smaller files for a quick look.
"""

import csv
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction

from bench.measure import Result
from saferhub.demo.partnership_files import demo_partnership_files
from saferhub.imports.models import ImportRun
from saferhub.imports.profiles import profiles_apply
from saferhub.imports.services import import_run_create
from saferhub.partnerships.models import Organisation, Partnership
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply

HEADINGS = [
    "Occurrence Number",
    "Date Occurred",
    "Incident Type",
    "Risk",
    "Summary",
    "Location ID",
    "Location",
    "Postcode",
    "Victim ID",
    "Victim Forename",
    "Victim Surname",
    "Victim DOB",
    "Victim Sex",
]

PROFILE = """
profiles:
  - organisation: police-tayside
    name: bench-occurrences
    kind: incidents
    date_formats: ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
    columns:
      source_ref: Occurrence Number
      occurred_at: Date Occurred
      category: Incident Type
      risk: Risk
      narrative: Summary
    codes:
      category: {"ASB - NOISE": noise, "VANDALISM": vandalism, "ASSAULT": assault,
                 "THEFT": theft, "DOMESTIC": domestic_incident}
      risk: {H: red, M: amber, L: green}
      sex: {M: male, F: female}
    themes:
      column: Incident Type
      codes: {"ASB - NOISE": [asb], "VANDALISM": [asb], "ASSAULT": [violence],
              "THEFT": [acquisitive_crime], "DOMESTIC": [domestic_abuse, violence]}
    place:
      source_ref: Location ID
      address_line_1: Location
      postcode: Postcode
    people:
      - role: victim
        columns: {source_ref: Victim ID, given_name: Victim Forename,
                  family_name: Victim Surname, date_of_birth: Victim DOB, sex: Victim Sex}
"""

TYPES = ["ASB - NOISE", "VANDALISM", "ASSAULT", "THEFT", "DOMESTIC"]
GIVEN = ["Agnes", "Robert", "Mary", "James", "Fiona", "Craig", "Elaine", "Scott", "Morag", "Iain"]
FAMILY = ["Lumsden", "Reid", "Kerr", "Haddow", "Brown", "Duncan", "Soutar", "Fraser", "Mackay"]
STREETS = ["Hilltown", "Lochee Road", "Albert Street", "Strathmartine Road", "Arbroath Road"]


def _rows_wanted() -> list[int]:
    given = os.environ.get("BENCH_IMPORT_ROWS")
    return [int(n) for n in given.split(",")] if given else [1_000_000, 3_000_000]


def write_export(path: Path, rows: int, seed: int = 4) -> None:
    """A police occurrence export of `rows` rows: about one in five people and places recur."""
    rng = random.Random(seed)
    start = datetime.datetime(2024, 12, 1)
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(HEADINGS)
        for n in range(rows):
            person = rng.randrange(max(1, rows // 5))
            place = rng.randrange(max(1, rows // 5))
            when = start + datetime.timedelta(minutes=rng.randrange(700_000))
            out.writerow(
                [
                    f"PS-{n:08d}",
                    when.strftime("%d/%m/%Y %H:%M"),
                    TYPES[n % len(TYPES)],
                    "HML"[n % 3],
                    "Caller reports a disturbance; officers attended and gave advice.",
                    f"L{place:07d}",
                    f"{place % 300 + 1} {STREETS[place % len(STREETS)]}",
                    f"DD{place % 5 + 1} {place % 9 + 1}AB",
                    f"P{person:07d}",
                    GIVEN[person % len(GIVEN)],
                    FAMILY[person // len(GIVEN) % len(FAMILY)],
                    f"{person % 28 + 1:02d}/{person % 12 + 1:02d}/{1940 + person % 60}",
                    "MF"[person % 2],
                ]
            )


def copy_seconds(path: Path) -> float:
    """COPY the file into an unindexed table of text columns: the floor any import stands on."""
    columns = ", ".join(f"c{i} text" for i in range(len(HEADINGS)))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_copy_floor ({columns})")
    raw = connection.connection
    start = time.perf_counter()
    statement = "COPY bench_copy_floor FROM STDIN (FORMAT csv, HEADER true)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy, path.open("rb") as file:
        while block := file.read(1 << 20):
            copy.write(block)
    raw.commit()
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy_floor")
    return elapsed


CHILD = """
import json, os, sys, time
import django
django.setup()
from saferhub.imports.models import ImportRun
from saferhub.imports.services import import_run_execute
run = ImportRun.objects.get(pk=int(sys.argv[1]))
start = time.perf_counter()
run = import_run_execute(run)
print(json.dumps({"seconds": time.perf_counter() - start, "status": run.status,
                  "message": run.message, "inserted": run.rows_inserted,
                  "rejected": run.rows_rejected}))
"""


def import_in_child(run: ImportRun) -> tuple[dict, float]:
    """Run the import in a child process on this database; its result and peak memory (MiB)."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgresql://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}"
            f":{database['PORT'] or 5432}/{database['NAME']}"
        ),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(run.pk)], env=env, stdout=subprocess.PIPE, text=True
    )
    output = child.stdout.read()
    # wait4 rather than wait: it gives this child's own resource usage, peak memory included.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"the import process failed ({child.returncode})")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def _police() -> tuple[Organisation, Partnership]:
    for document in demo_partnership_files(size="small", today=datetime.date.today()):
        partnership_apply(document=validate_partnership_data(document))
    profiles_apply(text=PROFILE, source="the benchmark profile")
    return Organisation.objects.get(code="police-tayside"), Partnership.objects.get(code="dundee")


# What an import of the benchmark's file writes, in an order the foreign keys allow.
WRITTEN = (
    ("places_placerecord", "organisation_id = %s"),
    ("people_personrecord", "organisation_id = %s"),
    ("incidents_incident", "owner_id = %s"),
    (
        "incidents_incidentperson",
        "incident_id IN (SELECT id FROM incidents_incident WHERE owner_id = %s)",
    ),
)


def floor_seconds(organisation: Organisation, folder: Path) -> float:
    """COPY the rows the import wrote straight back into their tables, with every index and
    constraint, in one transaction: the least time the database itself needs to store those
    records, whatever the importer does. The rows are first copied out, then removed."""
    raw = connection.connection
    saved = []
    with raw.cursor() as cursor:
        for table, condition in WRITTEN:
            path = folder / f"{table}.copy"
            query = cursor.mogrify(f"SELECT * FROM {table} WHERE {condition}", [organisation.pk])
            with cursor.copy(f"COPY ({query}) TO STDOUT") as copy, path.open("wb") as file:
                for data in copy:
                    file.write(data)
            saved.append((table, path))
    _clear_imported(organisation)
    start = time.perf_counter()
    with transaction.atomic(), raw.cursor() as cursor:
        for table, path in saved:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy, path.open("rb") as file:
                while block := file.read(1 << 20):
                    copy.write(block)
    elapsed = time.perf_counter() - start
    for _, path in saved:
        path.unlink()
    return elapsed


def _clear_imported(organisation: Organisation) -> None:
    """Empty what an earlier size imported, so that each size is a first import."""
    owned = "incident_id IN (SELECT id FROM incidents_incident WHERE owner_id = %s)"
    with connection.cursor() as cursor:
        for table, condition in (
            ("incidents_incidentperson", owned),
            ("incidents_relevantpartner", owned),
            ("incidents_incidentrevision", owned),
            ("incidents_incident", "owner_id = %s"),
            (
                "people_personaddress",
                "person_id IN (SELECT id FROM people_personrecord WHERE organisation_id = %s)",
            ),
            (
                "people_personrecordrevision",
                "person_id IN (SELECT id FROM people_personrecord WHERE organisation_id = %s)",
            ),
            ("people_personrecord", "organisation_id = %s"),
            (
                "places_placerecordrevision",
                "place_id IN (SELECT id FROM places_placerecord WHERE organisation_id = %s)",
            ),
            ("places_placerecord", "organisation_id = %s"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {condition}", [organisation.pk])


def run() -> list[Result]:
    if connection.vendor != "postgresql":
        return [Result("import benchmark needs PostgreSQL (DATABASE_URL)", 0, "", 0, "info")]
    organisation, partnership = _police()
    profile = organisation.mapping_profiles.get(name="bench-occurrences")
    results, peaks = [], []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        for rows in _rows_wanted():
            path = Path(folder) / f"occurrences-{rows}.csv"
            write_export(path, rows)
            copy = copy_seconds(path)
            _clear_imported(organisation)
            run = import_run_create(
                organisation=organisation,
                kind="incidents",
                profile=profile,
                file_name=path.name,
                stored_path=str(path),
                partnership=partnership,
            )
            outcome, peak = import_in_child(run)
            if outcome["status"] != "finished" or outcome["inserted"] != rows:
                raise RuntimeError(f"the benchmark import did not finish cleanly: {outcome}")
            seconds = outcome["seconds"]
            floor = floor_seconds(organisation, Path(folder))
            peaks.append(peak)
            label = f"{rows:,} rows"
            results += [
                Result(f"COPY of {label}, unindexed table", rows / copy, "rows/s", 0, "info"),
                Result(f"import of {label}", rows / seconds, "rows/s", 0, "info"),
                Result(f"ratio, import ÷ COPY, {label}", seconds / copy, "x", 4),
                # What the database alone needs to store the rows, and how far the import is
                # from that.
                Result(f"(floor) COPY of what it wrote, {label}", floor / copy, "x", 0, "info"),
                Result(f"(ours) import ÷ that floor, {label}", seconds / floor, "x", 0, "info"),
                Result(f"peak memory, import of {label}", peak, "MiB", 1024),
            ]
            path.unlink()
    if len(peaks) > 1:
        results.append(
            Result("peak memory, largest ÷ smallest file", peaks[-1] / peaks[0], "x", 1.2)
        )
    return results
