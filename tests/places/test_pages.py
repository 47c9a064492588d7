"""The places pages: search, a record, and the picker, at each level of sharing."""

import re

import pytest

from saferhub.audit.models import AuditEvent
from saferhub.places.services import place_record_update
from tests.incidents.conftest import client_for
from tests.places.conftest import happened_at, hold_place

pytestmark = pytest.mark.django_db

PLACES = "/partnerships/fife/places/"
# Everything about the flat that only the personal level may show.
SECRETS = (
    "Hilltown",
    "Flat 2/1",
    "DD1 4HN",
    "DD1",
    "906700123456",
    "340260",
    "730240",
    "56.46",
    "-2.97",
    "ASB-L-0042",
)


def _options(fragment: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', fragment)


def test_the_holder_finds_and_reads_its_own_place_and_nothing_is_audited(shared_flat, staff):
    client = client_for(staff["fife-council-asb"])
    results = client.get(PLACES, {"postcode": "dd1 4hn"}).content.decode()
    assert "<strong>1</strong> place matches" in results
    assert f'href="{PLACES}{shared_flat.pk}/"' in results
    page = client.get(f"{PLACES}{shared_flat.pk}/").content.decode()
    for detail in ("Flat 2/1, 14 Hilltown Terrace", "DD1 4HN", "906700123456", "340260, 730240"):
        assert detail in page, detail
    assert "S01007705" in page and "Postcode lookup" in page
    assert 'SIMD rank</dt><dd class="ds_summary-list__value">3 (1 is the most deprived' in page
    assert 'SIMD quintile</dt><dd class="ds_summary-list__value">2</dd>' in page
    assert 'SIMD decile</dt><dd class="ds_summary-list__value">3 (1 is the most deprived' in page
    assert "<strong>1</strong> incident you may see" in page
    assert not AuditEvent.objects.exists()


def test_a_partner_under_a_personal_protocol_reads_the_place_in_full_and_is_audited(
    shared_flat, staff
):
    client = client_for(staff["sfrs-fife"])
    page = client.get(f"{PLACES}{shared_flat.pk}/").content.decode()
    assert "Flat 2/1, 14 Hilltown Terrace" in page and "DD1 4HN" in page
    event = AuditEvent.objects.get(record_type="place_record")
    assert (event.record_id, event.level, event.basis) == (shared_flat.pk, "personal", "protocol")
    assert (event.protocol_code, event.protocol_version, event.owner_code) == (
        "fife-isp",
        3,
        "fife-council-asb",
    )
    client.get(PLACES, {"address": "hilltown"})
    assert AuditEvent.objects.filter(record_type="place_record").count() == 2


def test_a_depersonalised_partner_sees_the_data_zone_and_property_type_only(shared_flat, staff):
    client = client_for(staff["kingdom-ha"])
    response = client.get(f"{PLACES}{shared_flat.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    for secret in SECRETS:
        assert secret not in page, secret
    assert "A place in data zone S01007705" in page
    assert "Flat</dd>" in page
    assert 'SIMD decile</dt><dd class="ds_summary-list__value">3 (1 is the most deprived' in page
    assert "SIMD rank" not in page
    assert "Shared under protocol fife-asb, version 1." in page
    event = AuditEvent.objects.get(record_type="place_record")
    assert (event.level, event.protocol_code) == ("depersonalised", "fife-asb")
    for query in ({"address": "hilltown"}, {"postcode": "DD1 4HN"}, {"uprn": "906700123456"}):
        results = client.get(PLACES, query).content.decode()
        assert "No places match your search." in results, query
    assert _options(client.get(f"{PLACES}choices/", {"q": "hill"}).content.decode()) == []


def test_a_partner_without_a_protocol_is_told_the_place_does_not_exist(shared_flat, staff):
    client = client_for(staff["nhs-fife"])
    hidden = client.get(f"{PLACES}{shared_flat.pk}/")
    missing = client.get(f"{PLACES}{shared_flat.pk + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert "No places match" in client.get(PLACES, {"address": "hilltown"}).content.decode()
    assert _options(client.get(f"{PLACES}choices/", {"q": "hill"}).content.decode()) == []
    assert not AuditEvent.objects.exists()


def test_a_manager_sees_no_place_records(shared_flat, manager):
    client = client_for(manager)
    assert "works with figures, not addresses" in client.get(PLACES).content.decode()
    assert client.get(f"{PLACES}{shared_flat.pk}/").status_code == 404
    assert _options(client.get(f"{PLACES}choices/", {"q": "hill"}).content.decode()) == []


def test_a_restricted_incident_shows_its_place_to_its_relevant_partners_only(flat, staff):
    happened_at(flat, staff["fife-council-asb"], restricted=True, relevant_partners=["nhs-fife"])
    assert client_for(staff["nhs-fife"]).get(f"{PLACES}{flat.pk}/").status_code == 200
    for code in ("police-fife", "kingdom-ha"):
        assert client_for(staff[code]).get(f"{PLACES}{flat.pk}/").status_code == 404, code


def test_the_picker_offers_the_users_own_places_only(shared_flat, staff):
    mine = client_for(staff["fife-council-asb"]).get(f"{PLACES}choices/", {"q": "hilltown"})
    assert _options(mine.content.decode()) == [str(shared_flat.pk)]
    theirs = client_for(staff["police-fife"]).get(f"{PLACES}choices/", {"q": "hilltown"})
    assert _options(theirs.content.decode()) == []
    assert "No place records of yours match" in theirs.content.decode()


def test_an_unresolved_place_says_so(staff):
    police = staff["police-fife"]
    place = hold_place(police, "P1", address_line_1="1 George Square", town="Glasgow")
    page = client_for(police).get(f"{PLACES}{place.pk}/").content.decode()
    assert "Data zone not resolved" in page
    assert "Not known" in page


def test_the_holder_sees_the_places_history(flat, staff):
    council = staff["fife-council-asb"]
    place_record_update(user=council, record=flat, changes={"property_type": "hmo"})
    page = client_for(council).get(f"{PLACES}{flat.pk}/").content.decode()
    assert "This record has changed 1 time." in page
    assert "Property type" in page


def test_a_search_that_cannot_be_read_says_why(staff):
    response = client_for(staff["police-fife"]).get(PLACES, {"postcode": "nowhere", "uprn": "1-2"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Enter a postcode like KY1 1AA, or its start like KY1 1" in page
    assert "Enter the UPRN as a number of up to 12 digits" in page
    assert 'aria-current="page">Places</a>' in page
