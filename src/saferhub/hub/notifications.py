"""Email notifications: a link to the hub and nothing else.

Email leaves the hub's protection (it is forwarded, kept in inboxes, read on phones), so a
notification never carries personal data: no names, addresses, narrative or themes that would
identify someone. It says that something is waiting and links to the page, where the sharing
rules decide what the reader sees.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from saferhub.partnerships.models import User


def notify_by_email(*, users: Iterable[User], subject: str, message: str, path: str) -> int:
    """Email each user (with an address) `message` and a link to `path`, once the current
    transaction commits. `subject` and `message` must hold no personal data. Returns how many
    emails will be sent."""
    link = f"{settings.SITE_URL}{path}"
    body = (
        f"{message}\n\nOpen it in the Safer Communities Hub:\n{link}\n\n"
        "This email holds no personal details. Sign in to the hub to see them."
    )
    emails = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        for user in {u.pk: u for u in users}.values()
        if user.email and user.is_active
    ]
    if emails:
        transaction.on_commit(lambda: send_mass_mail(emails, fail_silently=True))
    return len(emails)


def partnership_users_of(*, organisation_id: int, partnership_id: int, roles: Iterable[str]):
    """The active users of one organisation holding any of `roles` in the partnership."""
    return User.objects.filter(
        organisation_id=organisation_id,
        is_active=True,
        role_assignments__partnership_id=partnership_id,
        role_assignments__role__in=list(roles),
    ).distinct()
