"""Creating and revoking API tokens. The token itself is shown once and never stored."""

import hashlib
import secrets

from django.db.models import QuerySet
from django.utils import timezone

from saferhub.api.models import ApiToken
from saferhub.partnerships.models import User

TOKEN_PREFIX = "shub_"  # noqa: S105 - a label, not a secret
PREFIX_LENGTH = 12


class TokenError(Exception):
    pass


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough: there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for `user`; return the stored record and the token to show once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, name=name, prefix=token[:PREFIX_LENGTH], token_hash=token_hash(token)
    )
    return record, token


def token_revoke(*, user: User, prefix: str | None = None) -> list[ApiToken]:
    """Revoke the user's token that starts with `prefix`, or all their tokens if none given."""
    tokens: QuerySet[ApiToken] = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if prefix:
        if not prefix.startswith(TOKEN_PREFIX) or len(prefix) < len(TOKEN_PREFIX) + 3:
            raise TokenError(
                f"{prefix!r} is not the start of a token: give at least the first "
                f"{len(TOKEN_PREFIX) + 3} characters, as `saferhub token list` shows them"
            )
        tokens = tokens.filter(prefix__startswith=prefix[:PREFIX_LENGTH])
        if tokens.count() > 1:
            raise TokenError(f"{prefix!r} matches more than one token: give more of it")
        if not tokens.exists():
            raise TokenError(f"{user.username} has no active token starting {prefix!r}")
    revoked = list(tokens)
    tokens.update(revoked_at=timezone.now())
    return revoked


def token_user(token: str) -> User | None:
    """The active user a token belongs to, if the token is valid and not revoked."""
    record = (
        ApiToken.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    # Note use at most once a minute: a busy partner system should not write on every call.
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user
