"""The record pages offer referral and case links only on the reader's own organisation's
records, and the links open the forms already about that record."""

import pytest

from tests.incidents.conftest import client_for, record, staff  # noqa: F401
from tests.people.conftest import hold_person

pytestmark = pytest.mark.django_db


def test_an_incident_page_offers_next_steps_to_its_owner_only(staff):  # noqa: F811
    incident = record(staff["sfrs-fife"], themes=["fire_safety"])
    url = f"/partnerships/fife/incidents/{incident.pk}/"
    own = client_for(staff["sfrs-fife"]).get(url).content.decode()
    assert f"/partnerships/fife/referrals/new/?incident={incident.pk}" in own
    # Police see the incident in full under fife-isp, but it is not theirs to refer.
    partner = client_for(staff["police-fife"]).get(url)
    assert partner.status_code == 200
    assert "Refer to a partner" not in partner.content.decode()


def test_the_referral_and_case_forms_open_from_a_person_record(staff):  # noqa: F811
    person = hold_person(staff["kingdom-ha"], "KHA-1", given_name="Isa", family_name="Reid")
    client = client_for(staff["kingdom-ha"])
    page = client.get(f"/partnerships/fife/people/{person.pk}/").content.decode()
    refer = f"/partnerships/fife/referrals/new/?person={person.pk}"
    case = f"/partnerships/fife/cases/new/?person={person.pk}"
    assert refer in page and case in page
    assert client.get(refer).status_code == 200
    assert client.get(case).status_code == 200
    # A partner who may see the record is not offered the links: it is not theirs.
    assert (
        "Refer to a partner"
        not in (
            client_for(staff["police-fife"]).get(f"/partnerships/fife/people/{person.pk}/")
        ).content.decode()
    )
