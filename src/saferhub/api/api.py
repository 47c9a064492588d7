"""The hub's REST API, version 1: `/api/v1/`, documented at `/api/v1/docs`."""

from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from saferhub.api.auth import api_auth
from saferhub.api.errors import InvalidInput
from saferhub.api.schemas import (
    ErrorOut,
    MemberOut,
    MeOut,
    OrganisationOut,
    PartnershipOut,
    PartnershipSummaryOut,
    ValidationErrorOut,
)
from saferhub.imports.api import router as imports_router
from saferhub.incidents.api import router as incidents_router
from saferhub.partnerships.models import OrganisationKind, Partnership, User
from saferhub.partnerships.selectors import (
    funded_posts_of_partnership,
    memberships_of_partnership,
    organisations_of_user_partnerships,
    partnerships_of_user,
    protocols_in_force,
    roles_of_user,
)

api = NinjaAPI(
    title="Safer Communities Hub API",
    version="1",
    description=(
        "For partner systems and analysts. Authenticate with `Authorization: Bearer <token>` "
        "(a token from `saferhub token create USERNAME`). Every error is JSON with a "
        "`message`, and `errors` naming each field that is wrong."
    ),
    auth=api_auth,
    urls_namespace="api",
    docs_url="/docs",
)

NOT_FOUND = {404: ErrorOut, 401: ErrorOut}

# The areas' own endpoints live with their apps.
api.add_router("", incidents_router)
api.add_router("", imports_router)


@api.exception_handler(ValidationError)
def validation_failed(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        errors.append({"field": ".".join(location), "message": error.get("msg", "is not valid")})
    return api.create_response(
        request, {"message": "The request is not valid.", "errors": errors}, status=422
    )


@api.exception_handler(InvalidInput)
def input_refused(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    errors = [{"field": field, "message": message} for field, message in exc.errors.items()]
    return api.create_response(request, {"message": exc.message, "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"message": "Authenticate with a valid API token: Authorization: Bearer <token>."},
        status=401,
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"message": str(exc) or "Not found."}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"message": str(exc)}, status=exc.status_code)


def _partnership_summary(partnership: Partnership, user: User) -> dict:
    return {
        "code": partnership.code,
        "name": partnership.name,
        "local_authority": partnership.local_authority,
        "region": partnership.region,
        "setting": partnership.setting,
        "roles": sorted(roles_of_user(user=user, partnership=partnership)),
    }


def _partnership_of(user: User, code: str) -> Partnership:
    partnership = partnerships_of_user(user=user).filter(code=code).first()
    if partnership is None:
        # The same answer whether the partnership is missing or simply not the user's.
        raise Http404(f"No partnership {code!r} that you are a member of.")
    return partnership


@api.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The user the token belongs to")
def me(request: HttpRequest) -> dict:
    user = request.user
    organisation = user.organisation
    return {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "organisation": (
            {"code": organisation.code, "name": organisation.name, "kind": organisation.kind}
            if organisation
            else None
        ),
        "partnerships": [_partnership_summary(p, user) for p in partnerships_of_user(user=user)],
    }


@api.get(
    "/partnerships",
    response={200: list[PartnershipSummaryOut], 401: ErrorOut},
    summary="The partnerships the user holds a role in",
)
def partnerships(request: HttpRequest) -> list[dict]:
    return [_partnership_summary(p, request.user) for p in partnerships_of_user(user=request.user)]


@api.get(
    "/partnerships/{code}",
    response={200: PartnershipOut, **NOT_FOUND},
    summary="A partnership: members, funded posts and protocols in force",
)
def partnership(request: HttpRequest, code: str) -> dict:
    found = _partnership_of(request.user, code)
    posts, total = funded_posts_of_partnership(partnership=found)
    return {
        **_partnership_summary(found, request.user),
        "organisations": _members(found),
        "funded_posts": [
            {
                "post": p.post,
                "funder": p.funder.code,
                "host": p.host.code,
                "annual_cost_gbp": p.annual_cost_gbp,
            }
            for p in posts
        ],
        "funded_posts_annual_total_gbp": total,
        "protocols_in_force": [
            {
                "code": p.code,
                "version": p.version,
                "title": p.title,
                "level": p.level,
                "audience": p.audience,
                "purposes": p.purposes,
                "themes": sorted(t.code for t in p.themes.all()),
                "signatories": sorted(s.organisation.code for s in p.signings.all()),
                "effective_from": p.effective_from.isoformat(),
                "expires_on": p.expires_on.isoformat() if p.expires_on else None,
                "review_by": p.review_by.isoformat(),
            }
            for p in protocols_in_force(partnership=found, day=timezone.localdate())
        ],
    }


def _members(partnership: Partnership) -> list[dict]:
    return [
        {
            "code": m.organisation.code,
            "name": m.organisation.name,
            "kind": m.organisation.kind,
            "involvement": m.involvement,
        }
        for m in memberships_of_partnership(partnership=partnership)
    ]


@api.get(
    "/partnerships/{code}/organisations",
    response={200: list[MemberOut], **NOT_FOUND},
    summary="The member organisations of a partnership, with their involvement",
)
def organisations(request: HttpRequest, code: str) -> list[dict]:
    return _members(_partnership_of(request.user, code))


class OrganisationFilters(Schema):
    kind: Literal[tuple(OrganisationKind.values)] | None = None  # type: ignore[valid-type]
    partnership: str | None = None


@api.get(
    "/organisations",
    response={200: list[OrganisationOut], 401: ErrorOut, 422: ValidationErrorOut},
    summary="Organisations in the user's partnerships, optionally of one kind or partnership",
)
def organisation_list(request: HttpRequest, filters: Query[OrganisationFilters]) -> list[dict]:
    if filters.partnership is not None:
        _partnership_of(request.user, filters.partnership)
    found = organisations_of_user_partnerships(
        user=request.user, kind=filters.kind, partnership_code=filters.partnership
    )
    return [{"code": o.code, "name": o.name, "kind": o.kind} for o in found]
