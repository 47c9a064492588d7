"""The daily briefing: the coordinator makes it, writes notes, sets a task and publishes it;
a partner reads their own version. Every page gets an axe-core scan."""

import datetime

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.briefings.models import Briefing, BriefingSettings, BriefingStatus, MadeBy
from saferhub.briefings.services import briefing_make, briefing_publish, briefing_window
from saferhub.partnerships.models import Organisation
from tests.conftest import add_user
from tests.incidents.conftest import record

from .helpers import (
    assert_accessible,
    authenticator,
    expect_error_summary,
    expect_path,
    go_to,
    log_in,
)

pytestmark = pytest.mark.browser


def _worker(partnership, code):
    user = add_user(
        f"worker.{code}",
        partnership=partnership,
        organisation=Organisation.objects.get(code=code),
        roles=["practitioner"],
        password="correct horse battery staple",
    )
    return user, authenticator(user)


def _click(page: Page, role: str, name: str) -> None:
    page.get_by_role(role, name=name).click()
    page.wait_for_load_state()
    assert_accessible(page)


def test_a_coordinator_makes_annotates_and_publishes_the_briefing(
    page: Page, administrator, fife_live
):
    # Given the police recorded incidents in the last day, one with a vulnerable victim
    police, _ = _worker(fife_live, "police-fife")
    # Today's window ends at 07:00 today.
    _, end = briefing_window(BriefingSettings(), timezone.localdate())
    for hours in (2, 5, 9):
        record(
            police,
            occurred_at=end - datetime.timedelta(hours=hours),
            vulnerability_flags=["older_person"],
        )
    log_in(page, "ali.khan", TOTPDevice.objects.get(user=administrator))

    # When the coordinator opens today's briefing, there is none yet, and they make it now
    go_to(page, "/partnerships/fife/briefing/")
    expect(page.get_by_text("There is no briefing for today")).to_be_visible()
    _click(page, "button", "Make it now")

    # Then it is a draft with the day's incidents in a chart and a table
    today = timezone.localdate()
    expect_path(page, f"/partnerships/fife/briefing/{today}/")
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Bar chart of incidents by theme")).to_be_visible()
    expect(page.locator("#by-theme")).to_contain_text("Antisocial behaviour")

    # When they write notes that are too long, the error says so
    page.get_by_label("Coordinator's notes").fill("x" * 5001)
    _click(page, "button", "Save the notes")
    expect_error_summary(page, message="Keep the notes to 5,000 characters", field_id="id_notes")

    # When they write proper notes and set a task, leaving out the themes at first
    page.get_by_label("Coordinator's notes").fill("Patrols around the Hilltown flats tonight.")
    _click(page, "button", "Save the notes")
    expect(page.locator(".briefing-notes")).to_have_text(
        "Patrols around the Hilltown flats tonight."
    )
    _click(page, "link", "Add a task")
    page.get_by_label("What needs to be done").fill("Visit the older resident at Hilltown")
    page.get_by_label("Given to").select_option("police-fife")
    page.get_by_label("Due by").fill((today + datetime.timedelta(days=1)).strftime("%d/%m/%Y"))
    _click(page, "button", "Set the task")
    expect_error_summary(page, message="Choose at least one theme", field_id="id_themes")
    page.get_by_role("group", name="Themes").get_by_text("Antisocial behaviour").click()
    _click(page, "button", "Set the task")

    # Then the task is on the briefing, and publishing it makes it everyone's
    expect(page.locator("#tasks + .ds_table-wrapper")).to_contain_text(
        "Visit the older resident at Hilltown"
    )
    _click(page, "button", "Publish the briefing")
    expect(page.get_by_text("Published", exact=True)).to_be_visible()
    assert Briefing.objects.get().status == BriefingStatus.PUBLISHED


def test_a_partner_reads_their_own_version_without_javascript(
    page_without_javascript: Page, administrator, fife_live
):
    page = page_without_javascript
    # Given a published briefing with a police incident the housing association is named on
    police, _ = _worker(fife_live, "police-fife")
    housing, housing_app = _worker(fife_live, "kingdom-ha")
    briefing = briefing_make(
        partnership=fife_live, for_date=timezone.localdate(), made_by=MadeBy.PAGE
    )
    record(
        police,
        occurred_at=briefing.window_end - datetime.timedelta(hours=1),
        relevant_partners=["kingdom-ha"],
    )
    briefing_publish(user=administrator, briefing=briefing)

    # When the housing officer opens today's briefing
    log_in(page, housing.username, housing_app)
    go_to(page, "/partnerships/fife/briefing/")

    # Then they see the incident depersonalised: its data zone, no address or names
    incidents = page.locator("#incidents + .ds_table-wrapper")
    expect(incidents).to_contain_text("Data zone S01009876")
    expect(incidents).to_contain_text("Depersonalised")
    expect(page.locator("main")).not_to_contain_text("12 Hilltown")
    expect(page.locator("main")).not_to_contain_text("Haddow")
    expect(page.get_by_role("button", name="Publish the briefing")).to_have_count(0)

    # And picking a day that is not a date says so
    page.goto("/partnerships/fife/briefing/?date=yesterday")
    assert_accessible(page)
    expect_error_summary(page, message="Enter the date like 23/11/2026", field_id="id_date")
