from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from saferhub.api.services import token_user
from saferhub.partnerships.models import User


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `saferhub token create`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


# A logged-in browser session works too (with its CSRF token for changes), once the user
# has passed the second factor: the hub's middleware holds them back until then.
api_auth = [BearerToken(), SessionAuth()]
