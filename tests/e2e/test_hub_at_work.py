"""The hub at work, end to end, as four people in four browsers.

Housing records a hoarding concern; the coordinator publishes the daily briefing, where fire
sees the concern depersonalised, as the protocol allows; housing refers the household to fire
for a home fire safety visit and opens a case with an action for fire; fire accepts the
referral, does the visit and completes both; the case and fire's MATAC pack show it. The NHS,
with no protocol covering any of it, sees none of it anywhere. Every page passes axe-core.
"""

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import yaml
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from saferhub.partnerships.models import Organisation, Partnership
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply
from tests.conftest import add_user

from .conftest import EXAMPLE_FILE, _close_page, _open_page
from .helpers import assert_accessible, authenticator, expect_path, log_in, with_password

pytestmark = pytest.mark.browser

# Housing shares home and fire safety with fire and the council for tasking, depersonalised;
# and with fire for referrals, in full. The NHS signs neither.
PROTOCOLS = [
    {
        "code": "fife-home-fire",
        "title": "Fife Home and Fire Safety Tasking Protocol",
        "version": 1,
        "status": "active",
        "effective_from": "2025-04-01",
        "review_by": "2027-03-31",
        "signatories": ["kingdom-ha", "sfrs-fife", "fife-council-asb"],
        "themes": ["home_safety", "fire_safety"],
        "level": "depersonalised",
        "audience": "all_signatories",
        "purposes": ["tasking"],
        "legal_basis": "UK GDPR Art 6(1)(e)",
        "retention_months": 24,
    },
    {
        "code": "fife-hfsv",
        "title": "Fife Home Fire Safety Visit Referral Protocol",
        "version": 1,
        "status": "active",
        "effective_from": "2025-04-01",
        "review_by": "2027-03-31",
        "signatories": ["kingdom-ha", "sfrs-fife"],
        "themes": ["home_safety", "fire_safety"],
        "level": "personal",
        "audience": "all_signatories",
        "purposes": ["referral"],
        "legal_basis": "Fire (Scotland) Act 2005 s.8",
        "retention_months": 24,
    },
]

NARRATIVE = "Mrs Agnes Baird's hall is blocked to the ceiling; she smokes in the chair."
ADDRESS = "3 Cairns Court"


@pytest.fixture
def fife_at_work(fife_live) -> Partnership:
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["protocols"] += PROTOCOLS
    partnership_apply(document=validate_partnership_data(data, "the Fife file at work"))
    return fife_live


@contextmanager
def browser_of(browser: Browser, live_server, username: str, device=None) -> Iterator[Page]:
    """A browser of one person's own, logged in: four people work side by side."""
    context, page, problems = _open_page(browser, live_server.url, scripts=True)
    try:
        log_in(page, username, device)
        yield page
    finally:
        page.wait_for_load_state("networkidle")
        _close_page(context, problems)


def _worker(partnership: Partnership, username: str, organisation: str):
    user = add_user(
        username,
        partnership=partnership,
        organisation=Organisation.objects.get(code=organisation),
        roles=["practitioner"],
    )
    with_password(username)
    return authenticator(user)


def _open(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert_accessible(page)


def _press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page)


def _follow(page: Page, link: str) -> None:
    page.get_by_role("link", name=link).first.click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page)


def _id_in(page: Page, kind: str) -> int:
    return int(re.search(rf"/{kind}/(\d+)/", page.url).group(1))


def test_a_hoarding_concern_becomes_a_visit_done_and_the_nhs_sees_none_of_it(
    browser: Browser, live_server, fife_at_work, administrator
):
    housing_app = _worker(fife_at_work, "worker.housing", "kingdom-ha")
    fire_app = _worker(fife_at_work, "worker.fire", "sfrs-fife")
    nhs_app = _worker(fife_at_work, "worker.nhs", "nhs-fife")
    coordinator_app = TOTPDevice.objects.get(user=administrator)
    yesterday_evening = timezone.localtime().replace(
        hour=20, minute=0, second=0, microsecond=0
    ) - datetime.timedelta(days=1)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with (
        browser_of(browser, live_server, "worker.housing", housing_app) as housing,
        browser_of(browser, live_server, "worker.fire", fire_app) as fire,
        browser_of(browser, live_server, "ali.khan", coordinator_app) as coordinator,
        browser_of(browser, live_server, "worker.nhs", nhs_app) as nhs,
    ):
        # Housing records the hoarding concern it found last night.
        _open(housing, "/partnerships/fife/incidents/new/")
        housing.get_by_label("Category").select_option("hoarding")
        themes = housing.get_by_role("group", name="Themes")
        themes.get_by_text("Home safety", exact=True).click()
        themes.get_by_text("Fire safety", exact=True).click()
        housing.get_by_label("When it happened").fill(f"{yesterday_evening:%d/%m/%Y %H:%M}")
        housing.get_by_role("group", name="Risk").get_by_text("Red (high)", exact=True).click()
        housing.get_by_label("Address (optional)").fill(ADDRESS)
        housing.get_by_label("Data zone (optional)").fill("S01009876")
        housing.get_by_label("What happened").fill(NARRATIVE)
        _press(housing, "Record the incident")
        expect(housing.get_by_role("heading", level=1)).to_have_text("Hoarding")
        incident_id = _id_in(housing, "incidents")

        # The coordinator makes this morning's briefing and publishes it.
        _open(coordinator, "/partnerships/fife/briefing/")
        _press(coordinator, "Make it now")
        _press(coordinator, "Publish the briefing")
        expect(coordinator.get_by_text("Published", exact=True)).to_be_visible()
        briefing_path = f"/partnerships/fife/briefing/{timezone.localdate()}/"

        # Fire reads it: the concern is there, depersonalised, without the narrative.
        _open(fire, briefing_path)
        briefing = fire.locator("main")
        expect(briefing).to_contain_text("Hoarding")
        expect(briefing).to_contain_text("Data zone S01009876")
        expect(briefing).to_contain_text("Depersonalised")
        expect(briefing).not_to_contain_text("Agnes Baird")
        expect(briefing).not_to_contain_text(ADDRESS)

        # Housing refers the household to fire from the incident, on the referral protocol.
        _open(housing, f"/partnerships/fife/incidents/{incident_id}/")
        _follow(housing, "Refer to a partner")
        housing.get_by_label("Refer to").select_option("sfrs-fife")
        housing.get_by_label("Type of referral").select_option("home-fire-safety-visit")
        housing.get_by_role("group", name="Urgency").get_by_text("Red: within 4 hours").click()
        housing.get_by_label("Why are you referring?").fill(
            "Hoarding blocks the hall; she smokes in the chair. Please visit today."
        )
        housing.get_by_role("group", name="Lawful basis for sharing").get_by_text(
            "An information sharing protocol"
        ).click()
        _press(housing, "Send the referral")
        expect(housing.locator("#referral-status")).to_have_text("Sent")
        referral_id = _id_in(housing, "referrals")

        # Housing opens a case on the problem, rates it red and gives fire an action.
        _open(housing, "/partnerships/fife/cases/new/")
        housing.get_by_role("group", name="Who or what is the case about?").get_by_text(
            "A problem", exact=True
        ).click()
        themes = housing.get_by_role("group", name="Themes")
        themes.get_by_text("Home safety", exact=True).click()
        themes.get_by_text("Fire safety", exact=True).click()
        housing.get_by_label("What is the problem?").fill(f"Hoarding and fire risk at {ADDRESS}")
        _press(housing, "Open the case")
        case_id = _id_in(housing, "cases")
        housing.get_by_label("Incident number").fill(str(incident_id))
        _press(housing, "Link the incident")
        housing.get_by_role("group", name="Likelihood").get_by_text("4", exact=True).click()
        housing.get_by_role("group", name="Impact").get_by_text("5", exact=True).click()
        housing.get_by_label("Why this rating?").fill("Blocked exit and a smoker")
        _press(housing, "Save the risk assessment")
        expect(housing.get_by_text("Risk: Red")).to_be_visible()
        housing.get_by_label("What needs to be done?").fill("Home fire safety visit")
        housing.get_by_label("Given to").select_option(
            label="Scottish Fire and Rescue Service, Fife"
        )
        housing.get_by_label("Due date").fill(f"{tomorrow:%d/%m/%Y}")
        _press(housing, "Add the action")
        expect(housing.get_by_role("link", name="Home fire safety visit")).to_be_visible()

        # Fire finds the referral in its queue, in full, accepts it and does the visit.
        _open(fire, "/partnerships/fife/referrals/")
        fire.locator("#received").get_by_role("link", name="Referral").first.click()
        fire.wait_for_load_state("networkidle")
        assert_accessible(fire)
        expect_path(fire, f"/partnerships/fife/referrals/{referral_id}/")
        expect(fire.locator("main")).to_contain_text("she smokes in the chair")
        _press(fire, "Accept the referral")
        fire.get_by_role("group", name="How did it go?").get_by_text("Made contact").click()
        _press(fire, "Record the contact attempt")
        fire.get_by_label("Outcome").fill("Visited; two alarms fitted, hall partly cleared.")
        _press(fire, "Complete the referral")
        expect(fire.locator("#referral-status")).to_have_text("Completed")

        # ... and completes the action the case gave it.
        _open(fire, "/partnerships/fife/actions/organisation/")
        _follow(fire, "Home fire safety visit")
        fire.get_by_label("Status").select_option("done")
        fire.get_by_label("Note").fill("Visit done with the referral; alarms fitted.")
        _press(fire, "Save the update")

        # The case shows the action done.
        _open(housing, f"/partnerships/fife/cases/{case_id}/")
        plan = housing.get_by_role("row").filter(has_text="Home fire safety visit")
        expect(plan).to_contain_text("Done")

        # The coordinator schedules the MATAC meeting, inviting fire, housing and the NHS,
        # and proposes the agenda from the data: the red case and the red referral.
        _open(coordinator, "/partnerships/fife/meetings/new/")
        starts = timezone.localdate() + datetime.timedelta(days=2)
        coordinator.get_by_label("When it starts").fill(f"{starts:%d/%m/%Y} 10:00")
        invited = coordinator.get_by_role("group", name="Organisations invited")
        for name in (
            "Scottish Fire and Rescue Service, Fife",
            "Kingdom Housing Association",
            "NHS Fife",
        ):
            invited.get_by_text(name, exact=True).click()
        _press(coordinator, "Schedule the meeting")
        meeting_id = _id_in(coordinator, "meetings")
        _press(coordinator, "Propose items from the data")
        agenda = coordinator.locator("main")
        expect(agenda).to_contain_text("Open red-rated case")
        expect(agenda).to_contain_text("New high-risk referral")
        pack_path = f"/partnerships/fife/meetings/{meeting_id}/pack/"

        # Fire's pack carries the referral in full and the case depersonalised.
        _open(fire, pack_path)
        pack = fire.locator("main")
        expect(pack).to_contain_text("New high-risk referral")
        expect(pack).to_contain_text("Open red-rated case")
        expect(pack).to_contain_text("In full")
        expect(pack).to_contain_text("Depersonalised")
        expect(pack).not_to_contain_text(f"Hoarding and fire risk at {ADDRESS}")

        # The NHS sees none of it, anywhere.
        _open(nhs, pack_path)
        expect(nhs.locator("main")).to_contain_text("There are no items on the agenda for NHS Fife")
        records = [
            f"/incidents/{incident_id}/",
            f"/referrals/{referral_id}/",
            f"/cases/{case_id}/",
        ]
        for path in (
            "/partnerships/fife/incidents/",
            briefing_path,
            "/partnerships/fife/referrals/",
            "/partnerships/fife/cases/",
            "/partnerships/fife/actions/organisation/",
        ):
            _open(nhs, path)
            main = nhs.locator("main")
            for record in records:
                expect(main.locator(f'a[href$="{record}"]')).to_have_count(0)
            for words in ("Agnes Baird", ADDRESS, "Home fire safety visit", "smokes"):
                expect(main).not_to_contain_text(words)
        for path in (
            f"/partnerships/fife/incidents/{incident_id}/",
            f"/partnerships/fife/referrals/{referral_id}/",
            f"/partnerships/fife/cases/{case_id}/",
        ):
            response = nhs.goto(path)
            assert response is not None and response.status == 404, path
