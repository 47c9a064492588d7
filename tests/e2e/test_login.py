"""Logging in: the password, then the authenticator app for roles that see personal data."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from .helpers import (
    PASSWORD,
    assert_accessible,
    code_for_key,
    enter_code,
    expect_error_summary,
    expect_path,
    go_to,
    key_from_page,
    log_in_with_password,
    wait_until_codes_are_accepted,
    wrong_code,
)

pytestmark = pytest.mark.browser


def then_on_the_fife_home_page(page: Page) -> None:
    expect_path(page, "/partnerships/fife/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fife Community Safety Partnership")


def test_first_login_sets_up_the_authenticator_app(page: Page, practitioner_without_app):
    # Given a practitioner with a password but no authenticator app
    user = practitioner_without_app
    assert not TOTPDevice.objects.filter(user=user).exists()

    # When they log in with their password
    go_to(page, "/accounts/login/")
    log_in_with_password(page, "jo.smith")

    # Then they are asked to set up an app, with a QR code and the key to type
    expect_path(page, "/accounts/second-factor/set-up/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    qr_code = page.locator(".hub-qr svg[role=img]")
    expect(qr_code).to_be_visible()
    expect(qr_code).to_have_accessible_name("QR code for setting up your authenticator app")
    key_text = page.locator("#totp-secret").inner_text()
    assert all(len(group) == 4 for group in key_text.split()[:-1]), key_text
    key = key_from_page(key_text)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert key == device.bin_key

    # When they enter the code their app shows for that key
    enter_code(page, code_for_key(key), button="Confirm and continue")

    # Then they land on their partnership's home page, told the app is set up
    then_on_the_fife_home_page(page)
    expect(page.get_by_role("status")).to_have_text("Your authenticator app is set up.")
    device.refresh_from_db()
    assert device.confirmed


def test_login_with_an_authenticator_app_after_a_wrong_code(page: Page, practitioner):
    # Given a practitioner whose authenticator app is set up
    device = TOTPDevice.objects.get(user=practitioner, confirmed=True)

    # When they log in with their password
    go_to(page, "/accounts/login/")
    log_in_with_password(page, "jo.smith")

    # Then they are asked for the code, not to set up an app
    expect_path(page, "/accounts/second-factor/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )

    # When they enter a wrong code
    enter_code(page, wrong_code(device.bin_key))

    # Then the error summary links to the field, which shows the error too
    expect_error_summary(
        page,
        message="That code is not right. Enter the newest code your app shows",
        field_id="id_code",
    )

    # When they enter the right code (once the hub accepts codes again)
    wait_until_codes_are_accepted(device)
    enter_code(page, code_for_key(device.bin_key))

    # Then they land on their partnership's home page
    then_on_the_fife_home_page(page)


def test_manager_logs_in_without_a_second_factor(page: Page, manager):
    # Given a manager, whose role shows no personal data, and who has no authenticator app
    assert not TOTPDevice.objects.filter(user=manager).exists()

    # When they log in with their password
    go_to(page, "/accounts/login/")
    log_in_with_password(page, "sam.boyd")

    # Then they land on the home page with no second factor asked
    then_on_the_fife_home_page(page)
    expect(page.get_by_text("Sam Boyd, Fife Council, Safer Communities")).to_be_visible()
    assert not TOTPDevice.objects.filter(user=manager).exists()


def test_login_form_errors(page: Page, practitioner):
    # Given the login page
    go_to(page, "/accounts/login/")

    # When it is submitted empty
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then the error summary links to both fields
    expect_error_summary(page, message="This field is required.", field_id="id_username")
    expect_error_summary(page, message="This field is required.", field_id="id_password")

    # When it is submitted with a wrong password
    log_in_with_password(page, "jo.smith", password=PASSWORD + " but wrong")

    # Then the error summary says so, and the username is kept
    expect_path(page, "/accounts/login/")
    expect_error_summary(
        page, message="Enter a correct username and password. Both are case-sensitive."
    )
    expect(page.get_by_label("Username")).to_have_value("jo.smith")
    expect(page.get_by_label("Password")).to_have_value("")


def test_second_factor_form_errors(page: Page, practitioner):
    # Given a practitioner asked for their code
    go_to(page, "/accounts/login/")
    log_in_with_password(page, "jo.smith")
    expect_path(page, "/accounts/second-factor/")

    # When they submit no code
    enter_code(page, "")

    # Then they are asked for it
    expect_error_summary(
        page, message="Enter the 6-digit code from your authenticator app", field_id="id_code"
    )

    # When they enter letters instead of digits
    enter_code(page, "abcdef")

    # Then they are asked for 6 digits, and not let in
    expect_error_summary(
        page, message="Enter the code as 6 digits, like 123456", field_id="id_code"
    )
    expect_path(page, "/accounts/second-factor/")
