"""Recording an incident, the list, a shared record and why it is shared."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.partnerships.models import Organisation, Partnership
from tests.conftest import add_user
from tests.incidents.conftest import record

from .helpers import assert_accessible, expect_path, log_in

pytestmark = pytest.mark.browser


def test_a_practitioner_records_an_incident_after_fixing_the_form(page: Page, practitioner):
    # Given a police practitioner logged in
    log_in(page, "jo.smith", TOTPDevice.objects.get(user=practitioner))

    # When they open the form and send it empty
    page.goto("/partnerships/fife/incidents/new/")
    assert_accessible(page)
    page.get_by_role("button", name="Record the incident").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then the error summary lists each problem, linked to its field
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Choose at least one theme")).to_have_attribute(
        "href", "#id_themes"
    )
    expect(summary.get_by_role("link", name="Choose what happened")).to_be_visible()

    # When they fill it in properly
    page.get_by_label("Category").select_option("noise")
    # (The design system draws its own boxes: people click the labels.)
    page.get_by_role("group", name="Themes").get_by_text("Antisocial behaviour", exact=True).click()
    page.get_by_label("When it happened").fill("20/11/2026 23:30")
    page.get_by_role("group", name="Risk").get_by_text("Amber (medium)", exact=True).click()
    page.get_by_label("What happened").fill("Loud party, third night running.")
    page.get_by_role("button", name="Record the incident").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then they see the incident in full, recorded by their organisation
    expect(page.get_by_role("heading", level=1)).to_have_text("Noise nuisance")
    expect(page.get_by_text("Loud party, third night running.")).to_be_visible()
    page.get_by_text("Why can I see this?").click()
    expect(page.get_by_text("Your organisation recorded this.")).to_be_visible()


def test_a_partner_sees_a_depersonalised_record_and_why(page: Page, fife_live):
    # Given the council recorded an ASB incident naming the housing association as relevant
    council = add_user(
        "worker.council",
        partnership=fife_live,
        organisation=Organisation.objects.get(code="fife-council-asb"),
        roles=["practitioner"],
    )
    housing = add_user(
        "worker.housing",
        partnership=fife_live,
        organisation=Organisation.objects.get(code="kingdom-ha"),
        roles=["practitioner"],
    )
    incident = record(
        council, Partnership.objects.get(code="fife"), relevant_partners=["kingdom-ha"]
    )
    device = TOTPDevice.objects.create(user=housing, name="app", confirmed=True)
    housing.set_password("correct horse battery staple")
    housing.save()

    # When the housing officer opens the incident list
    log_in(page, "worker.housing", device)
    page.goto("/partnerships/fife/incidents/")
    assert_accessible(page)
    expect(page.get_by_role("status")).to_contain_text("1 incident you may see")

    # And the incident
    page.get_by_role("table").get_by_role("link").first.click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then people appear under pseudonyms and the reason names the protocol
    expect_path(page, f"/partnerships/fife/incidents/{incident.pk}/")
    expect(page.get_by_text("Margaret")).to_have_count(0)
    expect(page.get_by_role("table")).to_contain_text("Person ")
    page.get_by_text("Why can I see this?").click()
    expect(page.get_by_text("Shared under protocol fife-asb, version 1.")).to_be_visible()
