"""An analyst works through the Analysis area: every page accessible, with its chart or map
and the table of the same figures."""

import datetime

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.demo.analysis_patterns import demo_patterns_load
from saferhub.geography.demo import demo_geography_load
from saferhub.partnerships.models import Organisation
from tests.conftest import add_user

from .helpers import PASSWORD, assert_accessible, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def analyst_device(fife_live) -> TOTPDevice:
    """A police analyst in Fife, which is moved onto the demo's Dundee data zones and given
    the demo's planted patterns."""
    demo_geography_load()
    fife_live.local_authority = "Dundee City"
    fife_live.save()
    demo_patterns_load(partnership=fife_live, seed=3, now=timezone.now())
    analyst = add_user(
        "analyst.police",
        partnership=fife_live,
        organisation=Organisation.objects.get(code="police-fife"),
        roles=["analyst"],
        password=PASSWORD,
    )
    return TOTPDevice.objects.create(user=analyst, name="app", confirmed=True)


def test_an_analyst_opens_every_analysis_page(page: Page, analyst_device):
    # Given a police analyst, logged in
    log_in(page, "analyst.police", analyst_device)

    # When they open the Analysis area from the side navigation
    page.goto("/partnerships/fife/")
    page.get_by_role("link", name="Analysis", exact=True).first.click()
    page.wait_for_load_state()

    # Then they see the headline for the last twelve complete months
    expect(page.get_by_role("heading", name="Analysis", exact=True)).to_be_visible()
    expect(page.locator("#headline")).to_contain_text("Incidents in the period")
    assert_accessible(page)

    # When they ask for the last 365 days, to today
    today = timezone.localdate()
    page.get_by_label("From").fill(str(today - datetime.timedelta(days=364)))
    page.get_by_label("To").fill(str(today))
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    expect(page.locator("#period")).to_contain_text(f"to {today.day} {today:%B %Y}")

    # And the trends page draws its chart beside the table of the same figures
    page.get_by_role("link", name="Trends", exact=True).first.click()
    expect(page.locator("#trends-chart[data-drawn=true] canvas")).to_be_visible()
    expect(page.locator("#monthly")).to_contain_text("Antisocial behaviour")
    assert_accessible(page)

    # And the repeats page lists the planted repeat locations by data zone
    page.get_by_role("link", name="Repeats", exact=True).first.click()
    expect(page.locator("#top-locations tbody tr")).not_to_have_count(0)
    expect(page.locator("#locations-summary")).to_be_visible()
    assert_accessible(page)

    # And the near-repeats page finds the housebreaking series
    page.get_by_role("link", name="Near repeats", exact=True).first.click()
    expect(page.locator("#knox-verdict")).to_contain_text("Yes")
    expect(page.locator("#knox-chart[data-drawn=true] canvas")).to_be_visible()
    expect(page.locator("#knox")).to_be_visible()
    assert_accessible(page)

    # And the hotspots page draws the data zones on a map, with the table
    page.get_by_role("link", name="Hotspots", exact=True).first.click()
    expect(
        page.locator("#hotspot-map[data-drawn=true] path.leaflet-interactive").first
    ).to_be_visible()
    expect(page.locator("#hotspots")).to_contain_text("hot spot 99%")
    assert_accessible(page)

    # And the deprivation page gives rates by quintile and decile
    page.get_by_role("link", name="Deprivation", exact=True).first.click()
    expect(page.locator("#deprivation-chart[data-drawn=true] canvas")).to_be_visible()
    expect(page.locator("#quintiles")).to_be_visible()
    expect(page.locator("#deciles")).to_be_visible()
    assert_accessible(page)

    # And the strategic assessment shows its headline and charts, with the PDF a link away
    page.get_by_role("link", name="Strategic assessment", exact=True).first.click()
    expect(page.locator("#headline")).to_contain_text("incidents were recorded in the period")
    expect(page.locator(".analysis-figure img").first).to_be_visible()
    expect(page.get_by_role("link", name="Download the pack (PDF)")).to_be_visible()
    assert_accessible(page)


def test_the_figures_are_there_without_javascript(page_without_javascript: Page, analyst_device):
    page = page_without_javascript
    log_in(page, "analyst.police", analyst_device)
    page.goto("/partnerships/fife/analysis/trends/")
    expect(page.locator("#monthly")).to_be_visible()
    page.goto("/partnerships/fife/analysis/hotspots/")
    expect(page.locator("#hotspots")).to_contain_text("hot spot")
    assert_accessible(page)
