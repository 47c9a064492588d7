"""Loading the demo partnerships through the same path as a real partnership file."""

import base64
import datetime
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhub.accounts.second_factor import DEVICE_NAME, second_factor_required
from saferhub.demo.incidents import demo_incidents_load, demo_now
from saferhub.demo.partnership_files import demo_partnership_files, earlier_version
from saferhub.partnerships.models import Partnership, User
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply

DEMO_PASSWORD = "safer-hub-demo"  # noqa: S105 - published demo password
# Every demo user shares this authenticator key, so one entry in an app serves them all.
# It is published in the README: demo data only, never a real deployment.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"


@dataclass
class DemoResult:
    partnerships: list[str]
    users: int
    changes: int
    incidents: int = 0


def demo_totp_secret() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def demo_totp_code(at: float | None = None) -> str:
    """The demo users' current second-factor code."""
    clock = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
    clock.time = at if at is not None else time.time()
    return f"{clock.token():06d}"


@transaction.atomic
def demo_load(*, size: str, seed: int, today: datetime.date) -> DemoResult:
    """Apply the demo partnership files and give every demo user the demo password and key.

    Loading again with the same seed changes nothing but the passwords, which it resets.
    """
    files = demo_partnership_files(size=size, seed=seed, today=today)
    changes = 0
    for data in files:
        code = data["partnership"]["code"]
        source = f"the demo partnership {code}"
        # The first load also applies the earlier version, so a protocol has a history.
        first_load = not Partnership.objects.filter(code=code).exists()
        for version in (earlier_version(data), data) if first_load else (data,):
            document = validate_partnership_data(version, source)
            changes += len(partnership_apply(document=document).lines)
    usernames = {u["username"] for data in files for u in data["users"]}
    users = User.objects.filter(username__in=usernames)
    # One hash for every demo user: Argon2 is slow on purpose, and these are demo accounts.
    users.update(password=make_password(DEMO_PASSWORD))
    for user in users:
        if second_factor_required(user):
            TOTPDevice.objects.update_or_create(
                user=user,
                name=DEVICE_NAME,
                defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
            )
    incidents = sum(
        demo_incidents_load(
            partnership=Partnership.objects.get(code=data["partnership"]["code"]),
            size=size,
            seed=seed,
            now=demo_now(),
        )
        for data in files
    )
    return DemoResult(
        partnerships=[data["partnership"]["code"] for data in files],
        users=len(usernames),
        changes=changes,
        incidents=incidents,
    )
