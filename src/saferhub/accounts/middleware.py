from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from saferhub.accounts.second_factor import second_factor_required

# Pages a user who has given a password but not yet the second factor may still reach.
OPEN_BEFORE_SECOND_FACTOR = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/second-factor/",
    "/accounts/password-reset/",
    "/health/",
    "/accessibility/",
)


class SecondFactorRequiredMiddleware:
    """Holds a logged-in user at the second-factor step until they pass it, when their roles
    can show personal data. Runs after django_otp's OTPMiddleware, which sets is_verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.open_paths = ("/" + settings.STATIC_URL.lstrip("/"), *OPEN_BEFORE_SECOND_FACTOR)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.open_paths)
            and second_factor_required(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"message": "Finish logging in with your second factor first."}, status=401
                )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:second-factor')}?{query}")
        return self.get_response(request)
