"""Logging in: password, second factor, lockout, idle timeout and password reset."""

import base64
import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhub.partnerships.models import User
from tests.conftest import PASSWORD, current_code

pytestmark = pytest.mark.django_db

HOME = "/partnerships/fife/"


def password_step(client: Client, username: str, password: str = PASSWORD, next_url: str = HOME):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password, "next": next_url},
    )


def test_passwords_are_hashed_with_argon2(practitioner):
    assert practitioner.password.startswith("argon2$")


def test_a_wrong_password_is_refused_with_the_error_summary(client, practitioner):
    response = password_step(client, "jo.smith", "not the password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter a correct username and password" in page
    assert "_auth_user_id" not in client.session


def test_a_manager_needs_no_second_factor(client, manager):
    response = password_step(client, "sam.boyd")
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_a_practitioner_is_held_at_the_second_factor(client, practitioner):
    response = password_step(client, "jo.smith")
    assert response.status_code == 302
    # The password step cannot reach the home page on its own...
    held = client.get(HOME)
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("accounts:second-factor"))
    # ...nor the API with the session.
    assert client.get("/api/v1/me").status_code == 401


def test_the_right_code_lets_the_practitioner_in(client, practitioner):
    password_step(client, "jo.smith")
    device = TOTPDevice.objects.get(user=practitioner)
    response = client.post(
        reverse("accounts:second-factor"), {"code": current_code(device), "next": HOME}
    )
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.get(HOME).status_code == 200


def test_a_wrong_code_is_refused_and_explained(client, practitioner):
    password_step(client, "jo.smith")
    device = TOTPDevice.objects.get(user=practitioner)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:second-factor"), {"code": wrong, "next": HOME})
    assert response.status_code == 422
    assert "That code is not right" in response.content.decode()
    response = client.post(reverse("accounts:second-factor"), {"code": "12ab56", "next": HOME})
    assert "Enter the code as 6 digits" in response.content.decode()
    assert client.get(HOME).status_code == 302


def test_repeated_wrong_codes_are_throttled(client, practitioner):
    password_step(client, "jo.smith")
    device = TOTPDevice.objects.get(user=practitioner)
    right = current_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(3):
        client.post(reverse("accounts:second-factor"), {"code": wrong})
    response = client.post(reverse("accounts:second-factor"), {"code": right})
    assert response.status_code == 422
    assert "Too many wrong codes in a row" in response.content.decode()


def test_first_login_sets_up_the_authenticator_with_a_qr_code(client, fife):
    user = User.objects.get(username="jo.smith")
    user.set_password(PASSWORD)
    user.save()
    password_step(client, "jo.smith")
    response = client.get(reverse("accounts:second-factor"), {"next": HOME}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:second-factor-set-up"))
    assert '<svg role="img" aria-label="QR code' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    shown_key = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    typed = shown_key.replace(" ", "")
    assert base64.b32decode(typed + "=" * (-len(typed) % 8)) == device.bin_key
    # Reloading keeps the same key, so a half-finished set-up still works.
    client.get(reverse("accounts:second-factor-set-up"))
    assert TOTPDevice.objects.filter(user=user).count() == 1

    response = client.post(
        reverse("accounts:second-factor-set-up"), {"code": current_code(device), "next": HOME}
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200


def test_the_username_is_locked_after_repeated_failures(client, practitioner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "jo.smith", "wrong guess")
    response = password_step(client, "jo.smith")  # even the right password
    assert response.status_code == 429
    assert "Your account is locked for now" in response.content.decode()
    # Another user is not affected.
    other = User.objects.get(username="sam.boyd")
    other.set_password(PASSWORD)
    other.save()
    assert password_step(Client(), "sam.boyd").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, practitioner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "jo.smith", "wrong guess")
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(
        attempt_time=timezone.now()
        - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    )
    assert password_step(client, "jo.smith").status_code == 302


def test_an_idle_session_ends_after_thirty_minutes(client, manager, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    password_step(client, "sam.boyd")
    assert client.get(HOME).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # Each request pushes the expiry thirty minutes ahead.
    expected = timezone.now() + datetime.timedelta(minutes=30)
    assert abs((session.expire_date - expected).total_seconds()) < 60
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_logging_out_ends_the_session(client, manager):
    password_step(client, "sam.boyd")
    client.post(reverse("accounts:logout"))
    assert client.get(HOME).status_code == 302


def _reset_link(email_body: str) -> str:
    return re.search(r"https?://[^/]+(/accounts/password-reset/\S+/)", email_body).group(1)


def test_a_forgotten_password_is_reset_by_email(client, practitioner):
    response = client.post(
        reverse("accounts:password-reset"), {"email": "JO.SMITH@police.example.org"}
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["jo.smith@police.example.org"]
    assert PASSWORD not in message.body
    link = _reset_link(message.body)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new = "a brand new passphrase 42"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert password_step(Client(), "jo.smith", new).status_code == 302
    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_user_from_a_partnership_file_gets_a_first_password_by_email(client, fife):
    assert not User.objects.get(username="ali.khan").has_usable_password()
    client.post(reverse("accounts:password-reset"), {"email": "ali.khan@fife.example.gov.uk"})
    assert len(mail.outbox) == 1


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, fife):
    response = client.post(reverse("accounts:password-reset"), {"email": "who@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_weak_new_password_is_refused(client, practitioner):
    client.post(reverse("accounts:password-reset"), {"email": "jo.smith@police.example.org"})
    form_page = client.get(_reset_link(mail.outbox[0].body), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    page = response.content.decode()
    assert "There is a problem" in page
    assert "This password is too short" in page


def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("accounts:login"))
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script_src.strip() == "'self'"
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(SECURE_HSTS_SECONDS=63072000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_https_responses_carry_hsts(client):
    response = client.get(reverse("accounts:login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_no_page_has_inline_script(client, practitioner):
    client.post(reverse("accounts:login"), {"username": "jo.smith", "password": PASSWORD})
    for url in (reverse("accounts:login"), reverse("accounts:second-factor-set-up")):
        page = client.get(url).content.decode()
        for script in re.findall(r"<script[^>]*>", page):
            assert "src=" in script, script


def test_the_lockout_page_says_how_long_to_wait(client, practitioner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = password_step(client, "jo.smith", "wrong guess")
    assert "Wait 15 minutes and try again" in response.content.decode()


def test_a_new_password_by_email_lifts_the_lockout(client, practitioner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "jo.smith", "wrong guess")
    client.post(reverse("accounts:password-reset"), {"email": "jo.smith@police.example.org"})
    form_page = client.get(_reset_link(mail.outbox[0].body), follow=True)
    new = "a brand new passphrase 42"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert password_step(Client(), "jo.smith", new).status_code == 302
