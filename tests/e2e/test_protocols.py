"""The Information Sharing Protocols of a partnership."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from .helpers import assert_accessible, expect_path, log_in

pytestmark = pytest.mark.browser


def test_protocols_list_and_one_protocol(page: Page, practitioner):
    # Given a practitioner on Fife's home page
    log_in(page, "jo.smith", TOTPDevice.objects.get(user=practitioner))

    # When they open Protocols from the side navigation
    page.get_by_role("navigation", name="Fife Community Safety Partnership").get_by_role(
        "link", name="Protocols"
    ).click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then they see every protocol of the partnership
    expect_path(page, "/partnerships/fife/protocols/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Information Sharing Protocols")
    table = page.get_by_role("table", name="Every version of every protocol of the partnership")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Fife Community Safety Information Sharing Protocol")
    expect(table).to_contain_text("Fife Antisocial Behaviour Protocol")

    # When they open one
    table.get_by_role("link", name="Fife Community Safety Information Sharing Protocol").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then they see what it shares, who signed it and its versions
    expect_path(page, "/partnerships/fife/protocols/fife-isp/v3/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Fife Community Safety Information Sharing Protocol"
    )
    expect(page.get_by_text("This version shares data today.")).to_be_visible()
    expect(page.locator(".ds_summary-list")).to_contain_text("31 March 2027")
    signatories = page.get_by_role("table", name="Organisations that signed this version")
    expect(signatories.locator("tbody tr")).to_have_count(3)
    # the Protocols section stays current in the navigation
    expect(
        page.get_by_role("navigation", name="Fife Community Safety Partnership").get_by_role(
            "link", name="Protocols"
        )
    ).to_have_attribute("aria-current", "page")
