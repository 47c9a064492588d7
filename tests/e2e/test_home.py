"""A partnership's home page, its side navigation, and switching partnership."""

from urllib.parse import urlsplit

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.partnerships.models import Partnership, User

from .helpers import assert_accessible, authenticator, expect_path, go_to, log_in

pytestmark = pytest.mark.browser

SECTIONS = [
    "Home",
    "Briefing",
    "Incidents",
    "People",
    "Places",
    "Referrals",
    "Cases",
    "Actions",
    "Meetings",
    "Initiatives",
    "Protocols",
]


def table_rows(page: Page, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, as lists of cell texts."""
    table = page.get_by_role("table", name=caption)
    expect(table).to_be_visible()
    return [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def side_navigation(page: Page):
    return page.get_by_role("navigation", name="Fife Community Safety Partnership")


def test_home_page_shows_the_partnership(page: Page, practitioner):
    # Given a practitioner of Fife
    device = TOTPDevice.objects.get(user=practitioner)

    # When they log in
    log_in(page, "jo.smith", device)

    # Then they see Fife's home page
    expect_path(page, "/partnerships/fife/")
    expect(page).to_have_title(
        "Fife Community Safety Partnership \N{EN DASH} Safer Communities Hub"
    )
    expect(page.get_by_text("Fife · East · Urban")).to_be_visible()

    # with the member organisations, most involved first
    assert table_rows(page, "Member organisations and how involved each is") == [
        ["Fife Council, Safer Communities", "Local authority", "Very involved"],
        ["Police Scotland, Fife Division", "Police", "Very involved"],
        ["Scottish Fire and Rescue Service, Fife", "Fire and rescue", "Very involved"],
        ["NHS Fife", "NHS", "Fairly involved"],
        ["Kingdom Housing Association", "Housing", "A little involved"],
    ]

    # the funded posts and their annual total
    posts = "Posts one partner funds and another hosts, with their annual cost"
    assert table_rows(page, posts) == [
        ["Campus officer", "Fife Council, Safer Communities", "Police Scotland, Fife Division",
         "£48,000"],
        ["Home fire safety advocate", "NHS Fife", "Scottish Fire and Rescue Service, Fife",
         "£31,000"],
    ]  # fmt: skip
    total = page.get_by_role("table", name=posts).locator("tfoot tr")
    expect(total.get_by_role("rowheader")).to_have_text("Annual total")
    expect(total.get_by_role("cell")).to_have_text("£79,000")

    # the protocols in force, soonest review first, with their review dates
    protocols = table_rows(
        page,
        "Information Sharing Protocols in force today and when each is due for review",
    )
    assert [row[0] for row in protocols] == [
        "Fife Antisocial Behaviour Protocol (version 1)",
        "Fife Community Safety Information Sharing Protocol (version 3)",
    ]
    assert protocols[0][3].startswith("1 January 2027")
    assert protocols[1][3].startswith("31 March 2027")
    assert protocols[1][2] == (
        "Fife Council, Safer Communities, Police Scotland, Fife Division, "
        "Scottish Fire and Rescue Service, Fife"
    )

    # and the side navigation of the sections, Home the current page, with no Admin
    navigation = side_navigation(page)
    expect(navigation.get_by_role("link")).to_have_text(SECTIONS)
    expect(navigation.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    # one partnership: its name, no switcher
    expect(page.get_by_role("button", name="Switch partnership")).to_have_count(0)


def test_side_navigation_leads_to_a_section(page: Page, practitioner):
    # Given a practitioner on the home page
    log_in(page, "jo.smith", TOTPDevice.objects.get(user=practitioner))

    # When they follow a section of the side navigation
    link = side_navigation(page).get_by_role("link", name="Meetings")
    href = link.get_attribute("href")
    link.click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then its page opens, and the navigation marks that section as the current page
    expect_path(page, href)
    expect(side_navigation(page).get_by_role("link", name="Meetings")).to_have_attribute(
        "aria-current", "page"
    )
    expect(side_navigation(page).get_by_role("link", name="Home")).not_to_have_attribute(
        "aria-current", "page"
    )


def test_admin_sees_the_admin_section(page: Page, administrator):
    # Given an admin of Fife (ali.khan: coordinator and admin)
    device = TOTPDevice.objects.get(user=administrator)

    # When they log in
    log_in(page, "ali.khan", device)

    # Then the side navigation ends with Admin, leading to the admin site (and, as a
    # coordinator, they link records and import too)
    expect_path(page, "/partnerships/fife/")
    navigation = side_navigation(page)
    expect(navigation.get_by_role("link")).to_have_text(
        [
            *SECTIONS[: SECTIONS.index("Meetings") + 1],
            "Analysis",
            "Initiatives",
            "Linking records",
            "Imports",
            "Protocols",
            "Admin",
        ]
    )
    expect(navigation.get_by_role("link", name="Admin")).to_have_attribute("href", "/admin/")


def switcher(page: Page):
    return page.get_by_role("combobox", name="Partnership")


def given_jo_in_two_partnerships(tayside: Partnership) -> TOTPDevice:
    user = User.objects.get(username="jo.smith")
    assert {r.partnership.code for r in user.role_assignments.all()} == {"fife", tayside.code}
    return TOTPDevice.objects.filter(user=user).first() or authenticator(user)


def then_on_the_tayside_home_page(page: Page) -> None:
    expect_path(page, "/partnerships/tayside/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tayside Community Safety Partnership"
    )
    expect(page.get_by_text("Dundee · East · Urban")).to_be_visible()
    expect(page.locator("tfoot")).to_contain_text("£81,000")
    expect(switcher(page)).to_have_value("tayside")


def test_switching_partnership_with_the_button(
    page_without_javascript: Page, practitioner, tayside_live
):
    page = page_without_javascript
    # Given a practitioner with roles in Fife and Tayside, on Fife's home page
    log_in(page, "jo.smith", given_jo_in_two_partnerships(tayside_live))
    expect_path(page, "/partnerships/fife/")
    expect(switcher(page)).to_have_value("fife")

    # When they choose Tayside in the switcher and press the button
    switcher(page).select_option(label="Tayside Community Safety Partnership")
    page.get_by_role("button", name="Switch partnership").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then they see Tayside's home page
    then_on_the_tayside_home_page(page)

    # and the hub takes them back there next time
    go_to(page, "/")
    then_on_the_tayside_home_page(page)


def test_keyboard_users_can_look_through_the_partnerships(page: Page, practitioner, tayside_live):
    # Given a practitioner with roles in Fife and Tayside, on Fife's home page
    log_in(page, "jo.smith", given_jo_in_two_partnerships(tayside_live))
    expect_path(page, "/partnerships/fife/")

    # When they move through the switcher's options with the arrow keys
    switcher(page).focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    page.wait_for_load_state()

    # Then they are still on Fife's page until they press the button
    assert urlsplit(page.url).path == "/partnerships/fife/", f"moved to {page.url}"
    expect(switcher(page)).to_have_value("tayside")
    page.get_by_role("button", name="Switch partnership").click()
    page.wait_for_load_state()
    assert_accessible(page)
    then_on_the_tayside_home_page(page)
