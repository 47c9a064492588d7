"""A case from opening to an action done: the council opens a case, assesses the risk and
sets the police an action; the police officer finds it under "My actions" and completes it.
Every page passes an axe-core scan."""

import datetime

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.cases.services import CaseInput, case_open, risk_assess
from saferhub.partnerships.models import Organisation
from saferhub.people.models import PersonRecord
from tests.conftest import add_user

from .helpers import PASSWORD, assert_accessible, expect_path, log_in

pytestmark = pytest.mark.browser


def submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    assert_accessible(page)


def test_a_case_is_opened_assessed_and_its_action_completed(
    page: Page, administrator, practitioner
):
    # Given a council coordinator logged in
    log_in(page, "ali.khan", TOTPDevice.objects.get(user=administrator))

    # When they open a case about a problem, first forgetting the title
    page.goto("/partnerships/fife/cases/")
    assert_accessible(page)
    page.get_by_role("link", name="Open a case").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("group", name="Who or what is the case about?").get_by_text(
        "A problem", exact=True
    ).click()
    page.get_by_role("group", name="Themes").get_by_text("Antisocial behaviour", exact=True).click()
    submit(page, "Open the case")
    expect(page.get_by_role("alert")).to_contain_text("Say what the problem is")
    page.get_by_label("What is the problem?").fill("Fires set in the Templehall bin stores")
    submit(page, "Open the case")

    # Then the case page shows it at the scanning stage
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Fires set in the Templehall bin stores"
    )
    expect(page.get_by_text("Not assessed").first).to_be_visible()

    # When they assess the risk as likely and major
    page.get_by_role("group", name="Likelihood").get_by_text("4", exact=True).click()
    page.get_by_role("group", name="Impact").get_by_text("4", exact=True).click()
    page.get_by_label("Why this rating?").fill("Three fires in a fortnight, near flats")
    submit(page, "Save the risk assessment")
    expect(page.get_by_text("Risk: Red")).to_be_visible()

    # And set the police officer an action due yesterday (it was agreed at last week's MATAC)
    due = timezone.localdate() - datetime.timedelta(days=1)
    page.get_by_label("What needs to be done?").fill("Patrol the bin stores after dark")
    page.get_by_label("Given to").select_option(label="Police Scotland, Fife Division")
    page.get_by_label("Person (optional)").fill("jo.smith")
    page.get_by_label("Due date").fill(due.strftime("%d/%m/%Y"))
    submit(page, "Add the action")
    expect(page.get_by_role("link", name="Patrol the bin stores after dark")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    # When the police officer looks at their actions
    log_in(page, "jo.smith", TOTPDevice.objects.get(user=practitioner))
    page.goto("/partnerships/fife/actions/")
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text="Patrol the bin stores after dark")
    expect(row.get_by_text("Overdue")).to_be_visible()

    # And completes the action
    row.get_by_role("link", name="Patrol the bin stores after dark").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Status").select_option("done")
    submit(page, "Save the update")
    expect(page.get_by_role("alert")).to_contain_text("Say what was done")
    page.get_by_label("Status").select_option("done")
    page.get_by_label("Note").fill("Patrolled three nights; no further fires")
    submit(page, "Save the update")

    # Then it is done, and no longer overdue
    expect(page.locator(".ds_page-header + *").get_by_text("Done", exact=True)).to_be_visible()
    expect(page.get_by_text("Overdue")).to_have_count(0)
    page.goto("/partnerships/fife/actions/organisation/?show=all")
    assert_accessible(page)
    expect_path(page, "/partnerships/fife/actions/organisation/")
    expect(page.get_by_role("row").filter(has_text="Patrol the bin stores")).to_contain_text("Done")


def test_a_partner_sees_a_case_depersonalised_without_javascript(
    page_without_javascript: Page, fife_live
):
    page = page_without_javascript
    # Given the council leads a cuckooing case about a named tenant, naming the housing
    # association as a relevant partner (fife-asb: depersonalised, relevant partners)
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
    tenant = PersonRecord.objects.create(
        organisation=council.organisation,
        source_ref="T1",
        given_name="Morag",
        family_name="Lindsay",
        date_of_birth=datetime.date(1962, 4, 9),
        sex="female",
    )
    case = case_open(
        user=council,
        partnership=fife_live,
        data=CaseInput(
            title="Morag Lindsay's flat taken over",
            subject="person",
            person_record_id=tenant.pk,
            themes=["cuckooing"],
            relevant_partners=["kingdom-ha"],
        ),
    )
    risk_assess(user=council, case=case, likelihood=5, impact=4, rationale="Visitors all night")
    housing.set_password(PASSWORD)
    housing.save()
    device = TOTPDevice.objects.create(user=housing, name="app", confirmed=True)

    # When the housing officer opens the case list and the case
    log_in(page, "worker.housing", device)
    page.goto("/partnerships/fife/cases/")
    assert_accessible(page)
    page.get_by_role("link", name="Case (details not shared with your organisation)").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then they see how it stands but not who it is about, and cannot change it
    expect(page.get_by_text("Risk: Red")).to_be_visible()
    expect(page.get_by_text("Depersonalised", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Lindsay")
    expect(page.get_by_role("main")).not_to_contain_text("Visitors all night")
    expect(page.get_by_role("button", name="Save the risk assessment")).to_have_count(0)
    page.get_by_text("Why can I see this?").click()
    expect(page.get_by_text("Shared under protocol fife-asb, version 1.")).to_be_visible()
