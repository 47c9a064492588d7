"""Who needs a second factor, and setting up the authenticator app that gives it."""

import base64
import re

import qrcode
import qrcode.image.svg
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhub.partnerships.models import ROLES_THAT_SEE_PERSONAL_DATA, RoleAssignment, User

DEVICE_NAME = "Authenticator app"


def second_factor_required(user: User) -> bool:
    """Anyone whose roles can show personal data, and anyone who may use the admin site."""
    if user.is_staff or user.is_superuser:
        return True
    return RoleAssignment.objects.filter(user=user, role__in=ROLES_THAT_SEE_PERSONAL_DATA).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def device_to_set_up(user: User) -> TOTPDevice:
    """The unconfirmed device being set up; the same one until confirmed, so the QR code
    stays valid if the page is reloaded."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in the base32 form authenticator apps accept when typed, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """An inline SVG of the device's otpauth:// address (no inline script or style needed)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
    return svg.replace(
        "<svg ",
        '<svg role="img" aria-label="QR code for setting up your authenticator app" ',
        1,
    )
