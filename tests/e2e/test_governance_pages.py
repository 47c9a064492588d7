"""Governance pages: managing protocols, the audit trail and emergency disclosures."""

import datetime

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.audit.services import Disclosure, audit_record
from saferhub.partnerships.models import Organisation, Partnership, User
from saferhub.sharing.pseudonyms import subject_key
from tests.conftest import add_user
from tests.incidents.conftest import record

from .helpers import (
    PASSWORD,
    assert_accessible,
    authenticator,
    expect_error_summary,
    expect_path,
    go_to,
    log_in,
)

pytestmark = pytest.mark.browser


def _user_with_app(
    username: str, partnership: Partnership, organisation: str, role: str
) -> tuple[User, TOTPDevice]:
    user = add_user(
        username,
        partnership=partnership,
        organisation=Organisation.objects.get(code=organisation),
        roles=[role],
        password=PASSWORD,
    )
    return user, authenticator(user)


def _click(page: Page, name: str) -> None:
    """Click a button or link, wait for the next page and check it."""
    page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name)).first.click()
    page.wait_for_load_state()
    assert_accessible(page)


# Protocols --------------------------------------------------------------------------------


def test_a_manager_drafts_a_protocol_and_signs_it(page: Page, manager):
    # Given a manager of the council on the protocols list
    log_in(page, "sam.boyd")
    go_to(page, "/partnerships/fife/protocols/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Information Sharing Protocols")

    # When they open the form and send it empty
    _click(page, "Create a draft protocol")
    expect_path(page, "/partnerships/fife/protocols/new/")
    _click(page, "Create the draft")

    # Then the error summary lists each problem, linked to its field
    expect_error_summary(page, message="Enter a code for the protocol", field_id="id_code")
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Enter the protocol's title")
    expect(summary).to_contain_text("Select at least 2 signatories")
    expect(summary).to_contain_text("Enter the legal basis for sharing")

    # When they fill it in properly
    page.get_by_label("Code", exact=True).fill("fife-hoarding")
    page.get_by_label("Title", exact=True).fill("Fife Hoarding Protocol")
    page.get_by_label("Takes effect on").fill("2026-04-01")
    page.get_by_label("Expires on (optional)").fill("2028-03-31")
    page.get_by_label("Review by").fill("2027-03-31")
    signatories = page.get_by_role("group", name="Signatories")
    signatories.get_by_text("Fife Council, Safer Communities", exact=True).click()
    signatories.get_by_text("Scottish Fire and Rescue Service, Fife", exact=True).click()
    page.get_by_role("group", name="Themes").get_by_text("Antisocial behaviour", exact=True).click()
    page.get_by_role("group", name="Level").get_by_text("Depersonalised", exact=True).click()
    page.get_by_role("group", name="Who sees a record").locator("label").first.click()
    page.get_by_role("group", name="Purposes").get_by_text("Tasking", exact=True).click()
    page.get_by_label("Legal basis").fill("Public task: the Antisocial Behaviour etc. Act 2004.")
    page.get_by_label("Retention, in months").fill("24")
    _click(page, "Create the draft")

    # Then they see the new draft, signed by nobody yet
    expect_path(page, "/partnerships/fife/protocols/fife-hoarding/v1/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fife Hoarding Protocol")
    expect(page.get_by_text("This version does not share any data today")).to_be_visible()
    signatures = page.get_by_role("table", name="Signatories of this version and who has signed")
    expect(signatures.locator("tbody tr")).to_have_count(2)

    # When they sign it for their organisation
    _click(page, "Sign for Fife Council, Safer Communities")

    # Then only the fire service has still to sign
    expect_path(page, "/partnerships/fife/protocols/fife-hoarding/v1/")
    sign = page.get_by_role("button", name="Sign for Fife Council, Safer Communities")
    expect(sign).to_have_count(0)
    not_signed = "Not signed yet: Scottish Fire and Rescue Service, Fife."
    expect(page.get_by_text(not_signed)).to_be_visible()


def test_a_manager_asks_what_one_organisation_sees_of_another(page: Page, manager):
    # Given a manager on the protocols list
    log_in(page, "sam.boyd")
    go_to(page, "/partnerships/fife/protocols/")

    # When they open the question and choose the housing association reading council records
    page.get_by_role("link", name="What can one organisation see of another's records").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Organisation that reads").select_option("kingdom-ha")
    page.get_by_label("Organisation whose records are read").select_option("fife-council-asb")
    _click(page, "Show what they can see")

    # Then a table per case says, theme by theme and purpose by purpose, what is shared
    expect_path(page, "/partnerships/fife/protocols/what-can-they-see/")
    expect(
        page.get_by_role(
            "heading",
            name="When Kingdom Housing Association is named on the record as a relevant partner",
        )
    ).to_be_visible()
    named = page.locator("table#named")
    expect(named.get_by_role("rowheader", name="Antisocial behaviour")).to_be_visible()
    expect(named).to_contain_text("fife-asb")


# The audit trail --------------------------------------------------------------------------


def test_an_auditor_searches_the_trail_and_answers_a_subject_access_request(page: Page, fife_live):
    # Given the housing association read a council incident about Margaret Haddow
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
    incident = record(council, fife_live, relevant_partners=["kingdom-ha"])
    margaret = subject_key(
        partnership_code="fife",
        given_name="Margaret",
        family_name="Haddow",
        date_of_birth=datetime.date(1948, 5, 17),
    )
    audit_record(
        actor=housing,
        action="read",
        purpose="tasking",
        disclosures=[
            Disclosure(
                "incident",
                incident.pk,
                "fife",
                "fife-council-asb",
                "depersonalised",
                "protocol",
                protocol_code="fife-asb",
                protocol_version=1,
                subjects=(margaret,),
            )
        ],
    )
    # and an auditor of the council
    _, device = _user_with_app("audit.council", fife_live, "fife-council-asb", "auditor")
    log_in(page, "audit.council", device)

    # When they open the audit trail
    go_to(page, "/partnerships/fife/audit/")

    # Then they see the events, the housing association's read among them
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    table = page.get_by_role("table", name="Audit events, newest first")
    expect(table).to_contain_text("worker.housing")

    # When they search with a date that is not one
    page.get_by_label("From date").fill("31/2/2026")
    _click(page, "Search")

    # Then the error summary says so and no events are listed
    expect_error_summary(
        page,
        message="Enter the from date as a real date, like 31/3/2026",
        field_id="id_occurred_from",
    )
    expect(page.get_by_text("Correct the search to see events.")).to_be_visible()

    # When they search for what the housing officer did
    page.get_by_label("From date").fill("")
    page.get_by_label("User name").fill("worker.housing")
    _click(page, "Search")

    # Then they find the one read
    expect(page.locator("#event-count")).to_contain_text("1 event matches your search")

    # When they open the disclosure history and enter Margaret's details
    _click(page, "Disclosure history for a subject access request")
    expect_path(page, "/partnerships/fife/audit/subject-access/")
    page.get_by_label("Given name").fill("Margaret")
    page.get_by_label("Family name").fill("Haddow")
    page.get_by_label("Date of birth").fill("17/5/1948")
    _click(page, "Show the disclosure history")

    # Then they see who saw what about her, with downloads
    expect(
        page.get_by_role("heading", name="Disclosures about Margaret Haddow, born 17 May 1948")
    ).to_be_visible()
    history = page.get_by_role("table", name="Disclosures about the person, oldest first")
    expect(history.locator("tbody tr")).to_have_count(1)
    expect(history).to_contain_text("fife-asb version 1")
    expect(page.get_by_role("link", name="Download as CSV (spreadsheet)")).to_have_attribute(
        "href", f"/partnerships/fife/audit/subject-access/disclosures.csv?subject={margaret}"
    )
    expect(page.get_by_role("link", name="Download as JSON")).to_be_visible()


# Emergency disclosures --------------------------------------------------------------------


def test_an_emergency_disclosure_is_made_and_flagged_by_the_owner(page: Page, fife_live):
    # Given a council incident shared, depersonalised, with the housing association
    council = add_user(
        "worker.council",
        partnership=fife_live,
        organisation=Organisation.objects.get(code="fife-council-asb"),
        roles=["practitioner"],
    )
    incident = record(council, fife_live, relevant_partners=["kingdom-ha"])
    _, housing_app = _user_with_app("worker.housing", fife_live, "kingdom-ha", "practitioner")
    _, lead_app = _user_with_app(
        "dpl.council", fife_live, "fife-council-asb", "data_protection_lead"
    )

    # When the housing officer opens it
    log_in(page, "worker.housing", housing_app)
    go_to(page, f"/partnerships/fife/incidents/{incident.pk}/")
    expect(page.get_by_text("Margaret")).to_have_count(0)

    # And asks for an emergency disclosure with too short a reason
    _click(page, "Make an emergency disclosure")
    expect_path(page, f"/partnerships/fife/incidents/{incident.pk}/emergency/")
    page.get_by_label("Why is this an emergency?").fill("Urgent")
    _click(page, "Disclose in an emergency")

    # Then they are asked for a fuller reason
    expect(page.locator("#error-summary")).to_contain_text("Say why in at least 20 characters")

    # When they give one
    page.get_by_label("Why is this an emergency?").fill(
        "Neighbour reports Mrs Haddow collapsed; ambulance needs the key holder now."
    )
    _click(page, "Disclose in an emergency")

    # Then they see the record in full
    expect_path(page, f"/partnerships/fife/incidents/{incident.pk}/")
    full = "You can see this incident in full for the next 24 hours"
    expect(page.get_by_text(full)).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Margaret")

    # When the council's data protection lead opens the disclosures to review
    page.context.clear_cookies()
    log_in(page, "dpl.council", lead_app)
    go_to(page, "/partnerships/fife/emergency-disclosures/")
    expect(page.get_by_role("heading", name="Waiting for review (1)")).to_be_visible()
    card = page.locator(".hub-disclosure")
    expect(card).to_contain_text("ambulance needs the key holder now")

    # And flags it with a note
    card.get_by_label("Note (needed to flag)").fill("Ask the officer for the ambulance log.")
    card.get_by_role("button", name="Flag for follow-up").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then it is reviewed, with the note kept
    expect(page.get_by_text("Flagged for follow-up. The note is kept")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for review (0)")).to_be_visible()
    reviewed = page.get_by_role(
        "table", name="Emergency disclosures already reviewed, newest first"
    )
    expect(reviewed).to_contain_text("Ask the officer for the ambulance log.")
