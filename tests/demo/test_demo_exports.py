"""The demo loads the partners' exports through the hub's own import: only the rows spoiled on
purpose are rejected, every record the answer key names is there, and loading again changes
nothing."""

import csv
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Q

from saferhub.demo import events
from saferhub.demo.services import demo_load
from saferhub.imports.models import ImportRun, MappingProfile, Rejection
from saferhub.incidents.models import Incident, IncidentPerson, IncidentRevision
from saferhub.linkage.models import RecordLink
from saferhub.people.models import PersonRecord, PersonRecordRevision
from saferhub.places.models import PlaceRecord, PlaceRecordRevision

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    return tmp_path


# References of the incidents the demo records itself for the Analysis area and initiatives.
OWN_PREFIXES = ("PATTERN-", "DEMO-")


def read_key(directory, table: str) -> list[dict[str, str]]:
    with (directory / "answer-key" / f"{table}.csv").open() as key:
        return list(csv.DictReader(key))


def test_the_exports_import_with_only_the_spoiled_rows_rejected(var_dir):
    result = demo_load(size="small", seed=2026, today=TODAY, exports="tiny")
    directory = var_dir / "demo-exports" / "tiny"
    assert result.exports_directory == directory
    files = json.loads((directory / "manifest.json").read_text())["files"]
    manifest = {f["file"]: f for f in files}
    assert [e.file for e in result.exports] == list(manifest)
    for imported in result.exports:
        expected = manifest[imported.file]
        assert imported.status == "finished", imported.message
        assert imported.rejected == expected["bad_rows"] >= 2, imported.file
        assert imported.inserted == expected["rows"] - expected["bad_rows"], imported.file
        assert imported.updated == imported.unchanged == 0

    # The report rejects exactly the rows the answer key says were spoiled, and says why.
    rejected = {
        (r.run.file_name, r.row_number, r.source_ref)
        for r in Rejection.objects.select_related("run")
    }
    key = {(r["file"], int(r["row"]), r["source_ref"]) for r in read_key(directory, "rejections")}
    assert rejected == key

    # Every record the key names is in the hub, owned by its partner. (The demo also records
    # incidents of its own for the Analysis area and the initiatives, with people and places
    # of their own: those are not in the exports' key.)
    key_people = read_key(directory, "people")
    people = Counter(r["organisation"] for r in key_people)
    imported_people = PersonRecord.objects.filter(
        source_ref__in={r["source_ref"] for r in key_people}
    )
    assert Counter(imported_people.values_list("organisation__code", flat=True)) == people
    key_places = read_key(directory, "places")
    places = Counter(r["organisation"] for r in key_places)
    imported_places = PlaceRecord.objects.filter(
        source_ref__in={r["source_ref"] for r in key_places}
    )
    assert Counter(imported_places.values_list("organisation__code", flat=True)) == places
    incidents = read_key(directory, "incidents")
    dundee = Incident.objects.filter(
        partnership__code="dundee", source_ref__in={r["source_ref"] for r in incidents}
    )
    assert dundee.count() == len(incidents)
    assert not IncidentPerson.objects.filter(incident__in=dundee, person_record=None).exists()
    # Places resolve to the demo geography's data zones: by postcode, else by grid reference.
    resolved = Counter(imported_places.values_list("resolved_by", flat=True))
    assert resolved["postcode"] > resolved["coordinates"] > 0
    assert resolved["unresolved"] <= len(places) // 20
    assert MappingProfile.objects.count() == 8
    # Angus has no exports: it keeps the hand-made incidents (and the demo's own, as above).
    angus = Incident.objects.filter(partnership__code="angus")
    own = Q(source_ref__startswith=OWN_PREFIXES[0]) | Q(source_ref__startswith=OWN_PREFIXES[1])
    assert angus.exclude(own).count() == 500

    # Every record is linked into an entity of the partnership, some sharing one.
    in_dundee = RecordLink.objects.filter(partnership__code="dundee")
    people_linked = in_dundee.filter(person_record__in=imported_people)
    assert people_linked.count() == imported_people.count()
    assert people_linked.values("entity").distinct().count() < imported_people.count()
    places_linked = in_dundee.filter(place_record__in=imported_places)
    assert places_linked.count() == imported_places.count()
    links_before = set(RecordLink.objects.values_list("pk", "entity_id"))

    again = demo_load(size="small", seed=2026, today=TODAY, exports="tiny")
    # Loading again links nothing anew: the entities stay as they were.
    assert set(RecordLink.objects.values_list("pk", "entity_id")) == links_before
    assert again.linked["person"].links_made == again.linked["person"].moved == 0
    for imported in again.exports:
        expected = manifest[imported.file]
        assert imported.inserted == imported.updated == 0, imported.file
        assert imported.unchanged == expected["rows"] - expected["bad_rows"], imported.file
        assert imported.rejected == expected["bad_rows"]
    assert not PersonRecordRevision.objects.exists()
    assert not PlaceRecordRevision.objects.exists()
    assert not IncidentRevision.objects.exists()
    assert ImportRun.objects.count() == 16


def test_an_unknown_export_size_is_refused():
    with pytest.raises(ValueError, match="exports must be one of none, full, small, tiny"):
        demo_load(size="small", seed=1, today=TODAY, exports="huge")


def test_the_demo_command_prints_a_line_per_file(var_dir, monkeypatch):
    # The command's small set, made tiny so that the test stays quick.
    monkeypatch.setitem(events.SIZES, "small", events.SIZES["tiny"])
    out = io.StringIO()
    call_command("demo", "--exports", "small", stdout=out)
    text = out.getvalue()
    assert "police-occurrences.csv (police-tayside, police-occurrences): " in text
    assert "council-asb-cases.xlsx (dundee-council-cs, asb-cases): " in text
    assert text.count(" inserted, 0 updated, 0 unchanged, ") == 8
    assert "rows rejected on purpose" in text
    assert str(var_dir / "demo-exports" / "small") in text
