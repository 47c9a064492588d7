"""Shared fixtures: a partnership applied from the example file, users, and logging in."""

from pathlib import Path

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhub.partnerships.models import Organisation, Partnership, RoleAssignment, User
from saferhub.partnerships.partnership_file import read_partnership_file
from saferhub.partnerships.services import partnership_apply

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE_FILE = FIXTURES / "fife.yaml"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def example_file_text() -> str:
    return EXAMPLE_FILE.read_text()


@pytest.fixture
def fife(db) -> Partnership:
    """The partnership of tests/fixtures/fife.yaml, applied."""
    partnership_apply(document=read_partnership_file(EXAMPLE_FILE))
    return Partnership.objects.get(code="fife")


def add_user(
    username: str,
    *,
    partnership: Partnership,
    organisation: Organisation,
    roles: list[str],
    password: str | None = None,
) -> User:
    """A user with roles; with no password unless given (hashing with Argon2 is slow on
    purpose, and tests that log in with `log_in` need none)."""
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=password,
        name=username.replace(".", " ").title(),
        organisation=organisation,
    )
    for role in roles:
        RoleAssignment.objects.create(user=user, partnership=partnership, role=role)
    return user


def authenticator(user: User) -> TOTPDevice:
    """A confirmed authenticator app for `user`."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    clock = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    clock.time += offset_steps * device.step
    return f"{clock.token():0{device.digits}d}"


def log_in(client: Client, user: User) -> None:
    """Log in as `user` having passed the second factor, as the login pages would."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or authenticator(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()


@pytest.fixture
def practitioner(fife) -> User:
    """A police practitioner in Fife with a password and an authenticator app."""
    user = User.objects.get(username="jo.smith")
    user.set_password(PASSWORD)
    user.save()
    authenticator(user)
    return user


@pytest.fixture
def manager(fife) -> User:
    """A Fife manager: no personal data, so no second factor."""
    user = User.objects.get(username="sam.boyd")
    user.set_password(PASSWORD)
    user.save()
    return user
