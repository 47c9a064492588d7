"""Checks and steps shared by the browser tests."""

import base64
import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.partnerships.models import User

PASSWORD = "correct horse battery staple"
BLOCKING_IMPACTS = ("serious", "critical")

_axe = Axe()


def _selector(target) -> str:
    # axe gives a node's target as a list of selectors (nested lists across shadow roots).
    if isinstance(target, list):
        return " >>> ".join(_selector(part) for part in target)
    return str(target)


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now; fail listing serious and critical violations."""
    violations = _axe.run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if not blocking:
        return
    lines = [f"axe-core found {len(blocking)} serious or critical violation(s) on {page.url}:"]
    for violation in blocking:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {_selector(node['target'])}" for node in violation["nodes"])
    pytest.fail("\n".join(lines), pytrace=False)


# Users ------------------------------------------------------------------------------------


def with_password(username: str) -> User:
    """A user from the partnership file (who has no usable password) given PASSWORD."""
    user = User.objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    return user


def authenticator(user: User) -> TOTPDevice:
    """A confirmed authenticator app for `user`."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


# TOTP codes, as the user's authenticator app would show them -------------------------------


def code_for_key(key: bytes, *, offset_steps: int = 0) -> str:
    clock = TOTP(key, step=30, t0=0, digits=6)
    clock.time += offset_steps * 30
    return f"{clock.token():06d}"


def key_from_page(text: str) -> bytes:
    """The key as typed from the set-up page: base32 in groups of four, no padding."""
    secret = text.replace(" ", "").strip()
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def wrong_code(key: bytes) -> str:
    """A 6-digit code the app would not show now, nor one step either side."""
    near = {code_for_key(key, offset_steps=step) for step in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(123456, 1_000_000) if f"{n:06d}" not in near)


def wait_until_codes_are_accepted(device: TOTPDevice, timeout: float = 10) -> None:
    """django-otp refuses any code for a second (then 2, 4...) after a wrong one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        device.refresh_from_db()
        if device.verify_is_allowed()[0]:
            return
        time.sleep(0.1)
    pytest.fail("the authenticator app stayed throttled", pytrace=False)


# Steps ------------------------------------------------------------------------------------


def go_to(page: Page, path: str) -> None:
    page.goto(path)
    assert_accessible(page)


def log_in_with_password(page: Page, username: str, password: str = PASSWORD) -> None:
    """From the login page: fill in the username and password and submit."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert_accessible(page)


def enter_code(page: Page, code: str, *, button: str = "Continue") -> None:
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    assert_accessible(page)


def log_in(page: Page, username: str, device: TOTPDevice | None = None) -> None:
    """The whole login: password, then the code from the app when the role asks for one."""
    go_to(page, "/accounts/login/")
    log_in_with_password(page, username)
    if device is not None:
        expect_path(page, "/accounts/second-factor/")
        enter_code(page, code_for_key(device.bin_key))


def _path_pattern(path: str) -> re.Pattern:
    return re.compile(rf"^[^?#]*//[^/]+{re.escape(path)}(\?.*)?$")


def expect_path(page: Page, path: str) -> None:
    """The page's address has this path (any query string)."""
    expect(page).to_have_url(_path_pattern(path))


def expect_error_summary(page: Page, *, message: str, field_id: str | None = None) -> None:
    """The design system's error summary, with the message (a link to the field if given)."""
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    if field_id is None:
        expect(summary.get_by_role("listitem")).to_contain_text([message])
        return
    expect(summary.locator(f'a[href="#{field_id}"]')).to_have_text(message)
    expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{field_id}-error")).to_have_text(message)
    expect(page).to_have_title(_starts_with("Error: "))


def _starts_with(prefix: str) -> re.Pattern:
    return re.compile("^" + re.escape(prefix))
