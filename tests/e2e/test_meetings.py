"""The MATAC meeting: scheduling, proposing the agenda, recording it, and each partner's pack."""

import datetime

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.meetings.models import Meeting
from saferhub.partnerships.models import Organisation
from tests.conftest import add_user
from tests.meetings.conftest import item_about, place_record, record, schedule

from .helpers import assert_accessible, authenticator, expect_error_summary, go_to, log_in

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


def test_a_coordinator_schedules_a_meeting_and_builds_its_agenda(page: Page, administrator):
    # Given the police recorded two incidents at one flat this month
    police, _ = _worker(administrator.role_assignments.first().partnership, "police-fife")
    flat = place_record("police-fife")
    for days in (3, 9):
        record(
            police,
            place_record_id=flat.pk,
            occurred_at=timezone.now() - datetime.timedelta(days=days),
        )
    log_in(page, "ali.khan", TOTPDevice.objects.get(user=administrator))

    # When the coordinator opens the meetings and schedules one, first leaving out the invitations
    go_to(page, "/partnerships/fife/meetings/")
    page.get_by_role("link", name="Schedule a meeting").click()
    page.wait_for_load_state()
    assert_accessible(page)
    starts = (timezone.localdate() + datetime.timedelta(days=2)).strftime("%d/%m/%Y")
    page.get_by_label("When it starts").fill(f"{starts} 10:00")
    page.get_by_role("button", name="Schedule the meeting").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then the error summary names the missing invitations
    expect_error_summary(page, message="Invite at least one organisation")

    # When they invite the police and the fire service
    invited = page.get_by_role("group", name="Organisations invited")
    invited.get_by_text("Police Scotland, Fife Division", exact=True).click()
    invited.get_by_text("Scottish Fire and Rescue Service, Fife", exact=True).click()
    page.get_by_role("button", name="Schedule the meeting").click()
    page.wait_for_load_state()
    assert_accessible(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("MATAC meeting")

    # And ask the hub to propose items from the data
    page.get_by_role("button", name="Propose items from the data").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then the flat is on the agenda as a repeat location, in full
    expect(page.get_by_text("1 item proposed from the data.")).to_be_visible()
    expect(
        page.get_by_role("heading", name="1. Repeat location: 14 Hilltown, Kirkcaldy, KY1 1AA")
    ).to_be_visible()

    # When they add an item by hand, record the decision and attendance
    page.get_by_role("link", name="Add an item").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Heading").fill("Bonfire night review")
    page.get_by_role("button", name="Add the item").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Record the discussion and decision for item 1").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Decision").fill("Joint visit this week.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    page.get_by_label("Organisation").select_option("police-fife")
    page.get_by_label("Name").fill("Jo Smith")
    page.get_by_role("button", name="Record attendance").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then the detail page holds it all, and the pack is a page of its own
    expect(page.get_by_role("heading", name="2. Bonfire night review")).to_be_visible()
    expect(page.get_by_text("Joint visit this week.")).to_be_visible()
    expect(page.get_by_role("cell", name="Jo Smith")).to_be_visible()
    page.get_by_role("link", name="Your organisation's pack").click()
    page.wait_for_load_state()
    assert_accessible(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Meeting pack for Fife Council, Safer Communities"
    )
    assert Meeting.objects.get().items.count() == 2


def test_a_housing_partner_reads_a_depersonalised_pack_without_javascript(
    page_without_javascript: Page, administrator
):
    # Given a police incident naming the housing association, on a meeting it is invited to
    partnership = administrator.role_assignments.first().partnership
    police, _ = _worker(partnership, "police-fife")
    _, device = _worker(partnership, "kingdom-ha")
    meeting = schedule(administrator, invited=["police-fife", "kingdom-ha"])
    incident = record(police, relevant_partners=["kingdom-ha"])
    item_about(meeting, "incident", incident.pk)
    page = page_without_javascript

    # When the housing officer opens the meeting and their pack
    log_in(page, "worker.kingdom-ha", device)
    go_to(page, f"/partnerships/fife/meetings/{meeting.pk}/")
    expect(page.get_by_role("button", name="Propose items from the data")).to_have_count(0)
    page.get_by_role("link", name="Your organisation's pack").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then the item is there, depersonalised: a data zone and pseudonyms, no names
    expect(page.get_by_text("Depersonalised", exact=True)).to_be_visible()
    expect(page.get_by_text("Data zone S01009876")).to_be_visible()
    expect(page.get_by_text("Haddow")).to_have_count(0)
    expect(page.get_by_text("Loud music")).to_have_count(0)
