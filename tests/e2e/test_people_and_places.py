"""Picking a held person as you type, and a person and place as owner and partner see them."""

import datetime
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.incidents.models import Incident
from saferhub.incidents.services import PersonInput
from saferhub.partnerships.models import Organisation, Partnership
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from tests.conftest import add_user
from tests.incidents.conftest import record

from .helpers import assert_accessible, expect_path, log_in

pytestmark = pytest.mark.browser


def _officer(partnership, code: str, username: str):
    user = add_user(
        username,
        partnership=partnership,
        organisation=Organisation.objects.get(code=code),
        roles=["practitioner"],
    )
    user.set_password("correct horse battery staple")
    user.save()
    return user, TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def test_a_practitioner_picks_a_person_they_hold_as_they_type(page: Page, fife_live):
    council, device = _officer(fife_live, "fife-council-asb", "worker.council")
    held = PersonRecord.objects.create(
        organisation_id=council.organisation_id,
        source_ref="ASB-77",
        given_name="Agnes",
        family_name="Lumsden",
        given_key="agnes",
        family_key="lumsden",
        date_of_birth=datetime.date(1941, 8, 9),
        date_of_birth_precision="day",
    )
    log_in(page, "worker.council", device)

    # When they type part of the name in the first person's Find field
    page.goto("/partnerships/fife/incidents/new/")
    person = page.get_by_role("group", name="Person 1")
    person.get_by_label("Role").select_option("victim")
    person.get_by_label("Find someone your organisation holds").fill("lumsd")

    # Then the list beneath offers the person they hold, and they choose her
    picker = person.get_by_label("Person", exact=True)
    expect(picker.locator(f'option[value="{held.pk}"]')).to_have_count(1)
    assert_accessible(page)
    picker.select_option(str(held.pk))

    page.get_by_label("Category").select_option("noise")
    page.get_by_role("group", name="Themes").get_by_text("Antisocial behaviour", exact=True).click()
    page.get_by_label("When it happened").fill("20/11/2026 23:30")
    page.get_by_role("group", name="Risk").get_by_text("Amber (medium)", exact=True).click()
    page.get_by_role("button", name="Record the incident").click()
    page.wait_for_load_state()

    # And the incident links to her record, which shows her in full
    incident = Incident.objects.get()
    expect_path(page, f"/partnerships/fife/incidents/{incident.pk}/")
    page.get_by_role("link", name="Agnes Lumsden").click()
    page.wait_for_load_state()
    expect_path(page, f"/partnerships/fife/people/{held.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agnes Lumsden")
    assert_accessible(page)


def test_a_partner_sees_a_person_and_place_only_as_the_protocol_allows(page: Page, fife_live):
    council, _ = _officer(fife_live, "fife-council-asb", "worker.council")
    _, device = _officer(fife_live, "kingdom-ha", "worker.housing")
    person = PersonRecord.objects.create(
        organisation_id=council.organisation_id,
        source_ref="ASB-9",
        given_name="Margaret",
        family_name="Haddow",
        given_key="margaret",
        family_key="haddow",
        date_of_birth=datetime.date(1948, 5, 17),
        date_of_birth_precision="day",
    )
    place = PlaceRecord.objects.create(
        organisation_id=council.organisation_id,
        source_ref="L-9",
        address_line_1="14 Mill Wynd",
        postcode="KY1 1AA",
        data_zone="S01009876",
    )
    record(
        council,
        Partnership.objects.get(code="fife"),
        relevant_partners=["kingdom-ha"],
        people=[
            PersonInput(
                "victim", "Margaret", "Haddow", datetime.date(1948, 5, 17), "female", person.pk
            )
        ],
        place_record_id=place.pk,
    )
    log_in(page, "worker.housing", device)

    # The housing officer, under a depersonalised protocol, finds no one by name
    page.goto("/partnerships/fife/people/?name=Haddow")
    assert_accessible(page)
    expect(page.locator("#result-count")).to_have_text("No people match your search.")

    # but opens the person and place from the incident, seeing neither name nor address
    page.goto(f"/partnerships/fife/people/{person.pk}/")
    assert_accessible(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Person \w{4}-\w{4}$"))
    expect(page.get_by_text("Margaret")).to_have_count(0)
    expect(page.get_by_text("1948")).to_have_count(0)
    page.goto(f"/partnerships/fife/places/{place.pk}/")
    assert_accessible(page)
    expect(page.get_by_text("Mill Wynd")).to_have_count(0)
    expect(page.get_by_text("S01009876").first).to_be_visible()
