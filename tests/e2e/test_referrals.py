"""A referral from housing to the fire service, worked to completion, seen by both sides."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from saferhub.partnerships.models import Organisation, Partnership
from tests.conftest import add_user
from tests.incidents.conftest import record

from .helpers import (
    assert_accessible,
    authenticator,
    code_for_key,
    enter_code,
    go_to,
    log_in,
    log_in_with_password,
    with_password,
)

pytestmark = pytest.mark.browser


def _worker(partnership: Partnership, username: str, organisation: str):
    user = add_user(
        username,
        partnership=partnership,
        organisation=Organisation.objects.get(code=organisation),
        roles=["practitioner"],
    )
    with_password(username)
    return user, authenticator(user)


def _settle(page: Page) -> None:
    """Wait until the page has fetched everything (its icon comes last): leaving it sooner
    aborts that fetch, which the page fixture reports as a problem."""
    page.wait_for_load_state("networkidle")
    assert_accessible(page)


def _submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    _settle(page)


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")


def test_housing_refers_to_fire_who_work_it_and_housing_sees_the_history(page: Page, fife_live):
    # Given a housing officer with an incident of their own, and a fire safety officer
    housing, housing_app = _worker(fife_live, "worker.housing", "kingdom-ha")
    _, fire_app = _worker(fife_live, "worker.fire", "sfrs-fife")
    incident = record(housing, fife_live, themes=["home_safety"])

    # When the housing officer refers the incident under a protocol
    log_in(page, "worker.housing", housing_app)
    page.goto(f"/partnerships/fife/referrals/new/?incident={incident.pk}")
    _settle(page)
    expect(page.locator("#referral-subject")).to_contain_text(f"Incident {incident.pk}")
    page.get_by_label("Refer to").select_option("sfrs-fife")
    page.get_by_label("Type of referral").select_option("home-fire-safety-visit")
    # (The incident's own themes are ticked to start with.)
    expect(page.get_by_role("group", name="Themes").get_by_label("Home safety")).to_be_checked()
    page.get_by_role("group", name="Urgency").get_by_text("Amber: within 3 days").click()
    page.get_by_label("Why are you referring?").fill("Hoarding in the hall; she smokes in bed.")
    page.get_by_role("group", name="Lawful basis for sharing").get_by_text(
        "An information sharing protocol"
    ).click()
    _submit(page, "Send the referral")

    # Then the form says why no protocol covers it, and offers consent
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Kingdom Housing Association has not signed protocol fife-isp")
    expect(summary).to_contain_text("Send it on the person's consent")

    # When they send it on the person's consent instead
    page.get_by_role("group", name="Lawful basis for sharing").get_by_text(
        "The person's consent"
    ).click()
    page.get_by_label("Who gave consent").fill("Margaret Haddow, herself")
    yesterday = timezone.localtime() - datetime.timedelta(days=1)
    page.get_by_label("When consent was given").fill(f"{yesterday:%d/%m/%Y} 10:00")
    page.get_by_label("How consent was given").select_option("verbally")
    page.get_by_label("Capacity to consent").fill("Clear and lucid; repeated it back to me.")
    _submit(page, "Send the referral")

    # Then the referral is sent, due in three days
    expect(page.get_by_role("heading", level=1)).to_have_text("Home fire safety visit")
    expect(page.locator("#referral-status")).to_have_text("Sent")
    referral_path = page.url.split("//", 1)[1].split("/", 1)[1]
    _log_out(page)

    # When the fire safety officer finds it in their queue and works it
    log_in(page, "worker.fire", fire_app)
    page.goto("/partnerships/fife/referrals/")
    _settle(page)
    received = page.locator("#received")
    received.get_by_role("link", name="Referral").first.click()
    _settle(page)
    expect(page.locator("#referral-subject")).to_contain_text("Margaret Haddow")
    _submit(page, "Accept the referral")
    expect(page.locator("#referral-status")).to_have_text("Accepted")
    page.get_by_role("group", name="How did it go?").get_by_text("Made contact").click()
    _submit(page, "Record the contact attempt")
    page.get_by_label("Outcome").fill("Visit done, two alarms fitted.")
    _submit(page, "Complete the referral")
    expect(page.locator("#referral-status")).to_have_text("Completed")
    _log_out(page)

    # Then the housing officer sees the whole history (logging in again, the app shows the
    # next code: the one they used earlier may not be used twice)
    go_to(page, "/accounts/login/")
    log_in_with_password(page, "worker.housing")
    enter_code(page, code_for_key(housing_app.bin_key, offset_steps=1))
    page.goto("/" + referral_path)
    _settle(page)
    history = page.locator("#referral-history")
    for step in ("Sent", "Accepted", "Contact attempt: Made contact", "Completed"):
        expect(history).to_contain_text(step)
    expect(page.get_by_text("Visit done, two alarms fitted.").first).to_be_visible()


def test_a_referral_on_vital_interests_is_sent_without_javascript(
    page_without_javascript: Page, fife_live
):
    page = page_without_javascript
    # Given a council officer with an incident of their own
    council, council_app = _worker(fife_live, "worker.council", "fife-council-asb")
    incident = record(council, fife_live, themes=["mental_health"])

    # When, with JavaScript off, they refer it to the NHS on vital interests
    log_in(page, "worker.council", council_app)
    page.goto(f"/partnerships/fife/referrals/new/?incident={incident.pk}")
    _settle(page)
    page.get_by_label("Refer to").select_option("nhs-fife")
    page.get_by_label("Type of referral").select_option("mental-health-triage")
    page.get_by_role("group", name="Urgency").get_by_text("Red: within 4 hours").click()
    page.get_by_label("Why are you referring?").fill("Talking of ending his life tonight.")
    page.get_by_role("group", name="Lawful basis for sharing").get_by_text(
        "Vital interests"
    ).click()
    page.get_by_label("Who is at risk of serious harm").fill(
        "He is at risk of suicide tonight and will not agree to be referred."
    )
    _submit(page, "Send the referral")

    # Then it is sent on vital interests, due within four hours
    expect(page.locator("#referral-status")).to_have_text("Sent")
    expect(page.get_by_text("Vital interests (someone is at risk of serious harm)")).to_be_visible()
