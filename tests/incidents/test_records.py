"""Incidents point at their owner's person and place records, and keep their history."""

import datetime

import pytest

from saferhub.incidents.models import IncidentRevision
from saferhub.incidents.services import IncidentInvalid, PersonInput, incident_update
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from tests.incidents.conftest import record


def _person(organisation_id: int, ref: str) -> PersonRecord:
    return PersonRecord.objects.create(
        organisation_id=organisation_id, source_ref=ref, given_name="Ann", family_name="Reid"
    )


def _place(organisation_id: int, ref: str) -> PlaceRecord:
    return PlaceRecord.objects.create(
        organisation_id=organisation_id, source_ref=ref, address_line_1="4 Mill Wynd"
    )


@pytest.mark.django_db
def test_an_incident_links_its_owners_person_and_place_records(staff):
    police = staff["police-fife"]
    person = _person(police.organisation_id, "P1")
    place = _place(police.organisation_id, "L1")
    incident = record(
        police,
        people=[PersonInput("victim", "Ann", "Reid", person_record_id=person.pk)],
        place_record_id=place.pk,
    )
    assert incident.place_record == place
    assert [p.person_record_id for p in incident.people.all()] == [person.pk]


@pytest.mark.django_db
def test_a_partners_records_cannot_be_linked(staff):
    """Linking a partner's record would show it to everyone who may see the incident."""
    police, fire = staff["police-fife"], staff["sfrs-fife"]
    their_person = _person(fire.organisation_id, "F1")
    their_place = _place(fire.organisation_id, "F-L1")
    with pytest.raises(IncidentInvalid) as refused:
        record(
            police,
            people=[PersonInput("victim", "Ann", "Reid", person_record_id=their_person.pk)],
            place_record_id=their_place.pk,
        )
    assert refused.value.errors == {
        "people[0].person_record": "Choose a person from your own organisation's records",
        "place_record": "Choose a place from your own organisation's records",
    }


@pytest.mark.django_db
def test_a_change_keeps_what_the_incident_said_before(staff):
    police = staff["police-fife"]
    incident = record(police, risk="amber", narrative="First account.")
    incident_update(user=police, incident=incident, changes={"risk": "red"})
    revision = IncidentRevision.objects.get(incident=incident)
    assert revision.before["risk"] == "amber"
    assert revision.before["narrative"] == "First account."
    assert revision.before["people"][0]["given_name"] == "Margaret"
    assert revision.changed_by == police
    assert revision.changed_through == "web"


@pytest.mark.django_db
def test_saving_without_a_change_writes_no_revision(staff):
    police = staff["police-fife"]
    incident = record(police, risk="amber")
    incident_update(user=police, incident=incident, changes={"risk": "amber"})
    incident_update(
        user=police,
        incident=incident,
        changes={"occurred_at": incident.occurred_at - datetime.timedelta(0)},
    )
    assert not IncidentRevision.objects.filter(incident=incident).exists()
