"""items_import: what the API push calls; the same checks and writing as a file."""

import pytest

from saferhub.imports.services import items_import
from saferhub.incidents.models import Incident, IncidentPerson
from saferhub.places.models import PlaceRecord
from tests.imports.conftest import organisation

pytestmark = pytest.mark.django_db


def incident(ref: str, **fields) -> dict:
    item = {
        "source_ref": ref,
        "category": "noise",
        "themes": ["asb"],
        "occurred_at": "2025-03-01T22:15:00Z",
        "risk": "amber",
        "narrative": "Party next door",
        "place": {"address_line_1": "4 Kirk Wynd", "postcode": "KY1 1AA"},
        "people": [
            {"role": "victim", "source_ref": "P-1", "given_name": "Ann", "family_name": "Roe"},
            {
                "role": "witness",
                "given_name": "Bob",
                "family_name": "Doe",
                "date_of_birth": "1970-05",
            },
        ],
    }
    item.update(fields)
    return item


def test_each_item_gets_its_outcome(fife):
    police = organisation("police-fife")
    run, results = items_import(
        organisation=police,
        kind="incidents",
        items=[incident("A1"), incident("A2", category="karaoke"), incident("A3", shoe_size=9)],
    )
    assert [(r.index, r.source_ref, r.outcome) for r in results] == [
        (0, "A1", "inserted"),
        (1, "A2", "rejected"),
        (2, "A3", "rejected"),
    ]
    assert results[1].problems == [
        {"field": "category", "reason": results[1].problems[0]["reason"]}
    ]
    assert results[1].problems[0]["reason"].startswith("unknown code 'karaoke'")
    assert results[2].problems == [{"field": "shoe_size", "reason": "is not a field of incidents"}]
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (3, 1, 2)
    assert run.rejections.count() == 2
    stored = Incident.objects.get()
    assert stored.occurred_at.isoformat() == "2025-03-01T22:15:00+00:00"
    assert stored.place_record == PlaceRecord.objects.get()
    roles = sorted(IncidentPerson.objects.values_list("role", "person_record__source_ref"))
    assert roles[0] == ("victim", "P-1")
    assert roles[1][0] == "witness" and roles[1][1].startswith("auto-")


def test_pushing_the_same_items_again_changes_nothing(fife):
    police = organisation("police-fife")
    items_import(organisation=police, kind="incidents", items=[incident("A1")])
    _, results = items_import(
        organisation=police,
        kind="incidents",
        items=[incident("A1"), incident("A2")],
    )
    assert [r.outcome for r in results] == ["unchanged", "inserted"]
    _, results = items_import(
        organisation=police, kind="incidents", items=[incident("A1", risk="red")]
    )
    assert [r.outcome for r in results] == ["updated"]


def test_a_person_item_with_a_bad_role_is_rejected(fife):
    police = organisation("police-fife")
    item = incident("A1", people=[{"role": "hero", "given_name": "Zed"}])
    _, results = items_import(organisation=police, kind="incidents", items=[item])
    assert results[0].outcome == "rejected"
    assert results[0].problems[0]["field"] == "people[0].role"


def test_people_can_be_pushed(fife):
    nhs = organisation("nhs-fife")
    _, results = items_import(
        organisation=nhs,
        kind="people",
        items=[
            {"source_ref": "N1", "given_name": "Ann", "date_of_birth": "1984-03-12"},
            {"source_ref": "N2", "given_name": "Bo", "chi_number": "123"},
        ],
    )
    assert [r.outcome for r in results] == ["inserted", "rejected"]
    assert results[1].problems == [{"field": "chi_number", "reason": "a CHI number is 10 digits"}]
