"""An analyst follows an initiative, walks the guided evaluation and reads the report."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from saferhub.demo.initiatives import demo_initiatives_load
from saferhub.partnerships.models import Organisation, Partnership
from tests.conftest import add_user

from .helpers import (
    PASSWORD,
    assert_accessible,
    authenticator,
    expect_error_summary,
    go_to,
    log_in,
)

pytestmark = pytest.mark.browser

STAFF = ("police-fife", "sfrs-fife", "nhs-fife")


def _fire_analyst_with_demo(fife: Partnership):
    for code in STAFF:
        add_user(
            f"worker.{code}",
            partnership=fife,
            organisation=Organisation.objects.get(code=code),
            roles=["practitioner"],
        )
    analyst = add_user(
        "analyst.fire",
        partnership=fife,
        organisation=Organisation.objects.get(code="sfrs-fife"),
        roles=["analyst"],
        password=PASSWORD,
    )
    device = authenticator(analyst)
    now = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(days=1)
    demo_initiatives_load(partnership=fife, seed=7, now=now)
    return analyst, device


def test_an_analyst_walks_the_guided_evaluation(page: Page, fife_live):
    # Given the demo initiatives, and an analyst at the fire service
    analyst, device = _fire_analyst_with_demo(fife_live)
    log_in(page, analyst.username, device)

    # When they open the register and the home fire safety visits
    go_to(page, "/partnerships/fife/initiatives/")
    expect(page.get_by_role("heading", name="Initiatives", exact=True)).to_be_visible()
    page.get_by_role("link", name="Targeted home fire safety visits").click()
    expect(page.get_by_role("heading", name="Logic model")).to_be_visible()
    assert_accessible(page)

    # and start an evaluation: step 1, the outcome
    page.get_by_role("link", name="Evaluate the initiative").click()
    expect(page.get_by_role("heading", name="Choose an outcome")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect_error_summary(page, message="Choose an outcome indicator")
    assert_accessible(page)
    page.get_by_text("Accidental dwelling fires", exact=True).click()
    page.get_by_role("button", name="Continue").click()

    # then the hub suggests comparison areas and proposes a design, in plain words
    expect(page.get_by_role("heading", name="Step 2 of 3: comparison areas")).to_be_visible()
    expect(page.locator("#proposal")).to_contain_text("Difference-in-differences")
    expect(page.get_by_text("SIMD rank").first).to_be_visible()
    assert_accessible(page)

    # When they run it with a unit cost
    page.get_by_label("Cost of one incident").fill("8500")
    page.get_by_role("button", name="Run the evaluation").click()

    # then the result: the estimate, the chart, the checks, the evidence level, the economics
    expect(page.get_by_role("heading", name="Evaluation, version 2")).to_be_visible()
    expect(page.locator("#conclusion")).to_contain_text("Maryland Scientific Methods Scale")
    expect(page.locator("#estimate")).to_contain_text("Level 3 of 5")
    expect(page.get_by_role("img", name="Chart of Accidental dwelling fires")).to_be_visible()
    expect(page.locator("#checks")).to_contain_text("Parallel pre-trends")
    expect(page.locator("#economic")).to_contain_text("incidents averted")
    expect(page.locator("#versions li")).to_have_count(2)
    assert_accessible(page)

    # and another unit cost changes the economic view
    page.get_by_label("Try another cost of one incident (£)").fill("nothing")
    page.get_by_role("button", name="Show the economic view").click()
    expect(page.locator("#error-summary")).to_contain_text("Enter the cost of one incident")
    assert_accessible(page)

    # and the report is a PDF
    link = page.get_by_role("link", name="Download the report (PDF)")
    report = page.request.get(link.get_attribute("href"))
    assert report.status == 200
    assert report.headers["content-type"] == "application/pdf"


def test_registering_an_initiative_without_a_title_shows_the_error(page: Page, fife_live):
    analyst, device = _fire_analyst_with_demo(fife_live)
    log_in(page, analyst.username, device)
    go_to(page, "/partnerships/fife/initiatives/new/")
    page.get_by_role("button", name="Save the initiative").click()
    expect_error_summary(page, message="Enter the initiative's title", field_id="id_title")
    assert_accessible(page)
    go_to(page, "/partnerships/fife/initiatives/library/")
    expect(page.get_by_role("heading", name="Targeted home fire safety visits")).to_be_visible()
