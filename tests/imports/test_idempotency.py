"""Importing the same file twice changes nothing; a changed row updates its record and keeps
its history; an import killed part way through, run again, imports each row exactly once."""

import pytest

from saferhub.imports.models import RunStatus
from saferhub.imports.services import import_run_create, import_run_execute
from saferhub.imports.writing import Writer
from saferhub.incidents.models import Incident, IncidentPerson, IncidentRevision
from saferhub.people.models import PersonRecord, PersonRecordRevision
from saferhub.places.models import PlaceRecord, PlaceRecordRevision
from tests.imports.conftest import incident_row, run_import, write_csv

pytestmark = pytest.mark.django_db


def counts(run) -> tuple[int, int, int, int]:
    return run.rows_inserted, run.rows_updated, run.rows_unchanged, run.rows_rejected


def snapshot() -> dict[str, int]:
    return {
        "incidents": Incident.objects.count(),
        "revisions": IncidentRevision.objects.count(),
        "people": PersonRecord.objects.count(),
        "person revisions": PersonRecordRevision.objects.count(),
        "places": PlaceRecord.objects.count(),
        "place revisions": PlaceRecordRevision.objects.count(),
        "links": IncidentPerson.objects.count(),
    }


def test_the_same_file_twice_changes_nothing(profiles, tmp_path, small_batches):
    path = write_csv(tmp_path / "a.csv", [incident_row(n) for n in range(1, 9)])
    profile = profiles["police-occurrences"]
    first = run_import(path, profile)
    assert counts(first) == (8, 0, 0, 0)
    before = snapshot()
    updated_at = dict(Incident.objects.values_list("source_ref", "updated_at"))
    second = run_import(path, profile)
    assert counts(second) == (0, 0, 8, 0)
    assert snapshot() == before
    assert dict(Incident.objects.values_list("source_ref", "updated_at")) == updated_at


def test_a_changed_row_updates_its_record_and_keeps_one_revision(profiles, tmp_path):
    profile = profiles["police-occurrences"]
    rows = [incident_row(n) for n in range(1, 4)]
    run_import(write_csv(tmp_path / "a.csv", rows), profile)
    rows[1] = incident_row(2, Risk="H", Details="Now with a threat")
    run = run_import(write_csv(tmp_path / "b.csv", rows), profile)
    assert counts(run) == (0, 1, 2, 0)
    incident = Incident.objects.get(source_ref="PS/000002")
    assert (incident.risk, incident.narrative) == ("red", "Now with a threat")
    revision = IncidentRevision.objects.get()
    assert revision.incident == incident
    assert revision.before["risk"] == "amber"
    assert revision.before["narrative"] == "Loud music at flat 2"
    assert revision.before["people"][0]["role"] == "victim"
    assert revision.changed_through == f"import run {run.pk}"


def _kill_on_second_batch(monkeypatch):
    """The writer dies on the second batch as a killed process would: not an error the run
    can catch and record, and the batch's transaction is never committed."""
    write = Writer.write
    calls = {"count": 0}

    def dying(self, checked):
        calls["count"] += 1
        if calls["count"] == 2:
            raise KeyboardInterrupt("killed")
        return write(self, checked)

    monkeypatch.setattr(Writer, "write", dying)


def test_an_import_killed_part_way_finishes_on_a_second_run(
    profiles, tmp_path, small_batches, monkeypatch
):
    path = write_csv(tmp_path / "a.csv", [incident_row(n) for n in range(1, 9)])
    profile = profiles["police-occurrences"]
    killed = import_run_create(
        organisation=profile.organisation,
        kind="incidents",
        profile=profile,
        file_name="a.csv",
        stored_path=str(path),
    )
    _kill_on_second_batch(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        import_run_execute(killed)
    monkeypatch.undo()
    killed.refresh_from_db()
    # The first batch (3 rows) was committed with the run's counts; the second was not.
    assert killed.status == RunStatus.RUNNING
    assert (killed.rows_read, killed.rows_inserted) == (3, 3)
    assert Incident.objects.count() == 3

    again = run_import(path, profile)
    assert counts(again) == (5, 0, 3, 0)
    references = list(Incident.objects.values_list("source_ref", flat=True))
    assert sorted(references) == [f"PS/{n:06d}" for n in range(1, 9)]
    assert IncidentRevision.objects.count() == 0
    assert IncidentPerson.objects.count() == 8


def test_a_database_error_fails_the_run_with_a_message(
    profiles, tmp_path, small_batches, monkeypatch
):
    from django.db import DatabaseError

    def broken(self, checked):
        raise DatabaseError("disk full\nCONTEXT: somewhere deep")

    monkeypatch.setattr(Writer, "write", broken)
    path = write_csv(tmp_path / "a.csv", [incident_row(n) for n in range(1, 5)])
    run = run_import(path, profiles["police-occurrences"])
    assert run.status == RunStatus.FAILED
    assert run.message == (
        "The database refused a batch (disk full); the rows before it were imported, and "
        "running the import again finishes the job."
    )
