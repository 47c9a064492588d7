"""The incident form picks the organisation's own person and place records, or adds new
ones, and asks before adding someone who looks already known."""

import datetime

import pytest

from saferhub.incidents.models import Incident
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from tests.incidents.conftest import client_for
from tests.incidents.test_pages import LIST, form_data

pytestmark = pytest.mark.django_db


def _held(user, ref="ASB-77", given="Agnes", family="Lumsden", born=datetime.date(1941, 8, 9)):
    return PersonRecord.objects.create(
        organisation_id=user.organisation_id,
        source_ref=ref,
        given_name=given,
        family_name=family,
        given_key=given.lower(),
        family_key=family.lower(),
        date_of_birth=born,
        date_of_birth_precision="day",
    )


def test_new_people_and_a_new_place_become_the_organisations_records(staff):
    user = staff["fife-council-asb"]
    response = client_for(user).post(LIST + "new/", form_data())
    assert response.status_code == 302
    incident = Incident.objects.get()
    person = incident.people.get().person_record
    assert person.organisation_id == user.organisation_id
    assert person.source_ref.startswith("HUB-")
    assert (person.given_name, person.family_name) == ("Agnes", "Lumsden")
    place = incident.place_record
    assert place.organisation_id == user.organisation_id
    assert (place.address_line_1, place.postcode) == ("3 Links Street, Kirkcaldy", "KY1 1QH")


def test_someone_who_looks_already_held_is_asked_about_first(staff):
    user = staff["fife-council-asb"]
    held = _held(user)
    client = client_for(user)
    response = client.post(LIST + "new/", form_data())
    assert response.status_code == 422
    page = response.content.decode()
    assert "already holds 1 record like this person" in page
    assert "ASB-77" in page
    assert f'<option value="{held.pk}"' in page
    assert not Incident.objects.exists()

    confirmed = client.post(LIST + "new/", form_data(**{"people-0-is_new": "on"}))
    assert confirmed.status_code == 302
    assert PersonRecord.objects.filter(family_name="Lumsden").count() == 2


def test_choosing_a_held_person_links_them_without_a_new_record(staff):
    user = staff["fife-council-asb"]
    held = _held(user)
    response = client_for(user).post(
        LIST + "new/",
        form_data(
            **{
                "people-0-person_record": str(held.pk),
                "people-0-given_name": "",
                "people-0-family_name": "",
                "people-0-date_of_birth": "",
            }
        ),
    )
    assert response.status_code == 302
    linked = Incident.objects.get().people.get()
    assert linked.person_record == held
    # What the form left blank comes from the record, as recorded at the time.
    assert (linked.given_name, linked.date_of_birth) == ("Agnes", datetime.date(1941, 8, 9))
    assert PersonRecord.objects.count() == 1


def test_a_partners_record_cannot_be_chosen(staff):
    theirs = _held(staff["police-fife"], ref="PS-1")
    user = staff["fife-council-asb"]
    response = client_for(user).post(
        LIST + "new/", form_data(**{"people-0-person_record": str(theirs.pk)})
    )
    assert response.status_code == 422
    assert "Choose a person from your own organisation&#x27;s records" in response.content.decode()
    assert not Incident.objects.exists()


def test_find_without_javascript_lists_only_the_organisations_own_records(staff):
    user = staff["fife-council-asb"]
    mine = _held(user, ref="ASB-1", given="Rab", family="Lumsden")
    theirs = _held(staff["police-fife"], ref="PS-9", given="Rab", family="Lumsden")
    PlaceRecord.objects.create(
        organisation_id=staff["police-fife"].organisation_id,
        source_ref="PL-1",
        address_line_1="9 Links Street",
        address_key="9 links street",
    )
    response = client_for(user).post(
        LIST + "new/",
        form_data(**{"find": "people-0", "people-0-find": "lumsden", "place_find": "links"}),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" not in page
    assert f'<option value="{mine.pk}"' in page
    assert f'<option value="{theirs.pk}"' not in page
    assert "PS-9" not in page and "PL-1" not in page
    assert not Incident.objects.exists()


def test_the_type_ahead_answers_the_forms_own_find_field(staff):
    user = staff["fife-council-asb"]
    mine = _held(user, ref="ASB-1", given="Rab", family="Lumsden")
    _held(staff["police-fife"], ref="PS-9", given="Rab", family="Lumsden")
    response = client_for(user).get(
        "/partnerships/fife/people/choices/", {"people-1-find": "rab lums"}
    )
    page = response.content.decode()
    assert f'<option value="{mine.pk}"' in page
    assert "PS-9" not in page
