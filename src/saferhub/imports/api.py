"""Pushing records through the API: POST /api/v1/imports/{kind} (docs/imports.md).

A partner system sends a JSON array of items named by the hub's fields, as an import file
would hold them, and gets back what became of each item. Items are matched by their
`source_ref`, so pushing the same items again changes nothing.
"""

import json
from typing import Literal, NoReturn

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from saferhub.api.errors import InvalidInput
from saferhub.api.schemas import ErrorOut, ValidationErrorOut
from saferhub.imports.models import RecordKind
from saferhub.imports.profiles import FIELDS_OF_KIND, PLACE_FIELDS, SLOT_FIELDS
from saferhub.imports.services import ImportInvalid, items_import
from saferhub.partnerships.models import Partnership, Role, User
from saferhub.partnerships.selectors import partnerships_of_user, roles_of_user

router = Router(tags=["imports"])

MAX_ITEMS = 5_000
# Read before parsing, so that a runaway client cannot make the hub hold gigabytes.
MAX_BODY_MB = 20
# Pushing writes the organisation's records in bulk with a token that skips the second
# factor: the roles that look after the organisation's data feeds (docs/imports.md).
PUSH_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# Enough to see what is wrong with a body without an answer as big as the body.
MAX_ERRORS = 100
# A field's value is one of these, or a list of them for fields with several values
# (themes, vulnerability_flags, relevant_partners, other_names).
SCALARS = (str, int, float, bool, type(None))


class ProblemOut(Schema):
    field: str
    reason: str


class ItemResultOut(Schema):
    index: int
    source_ref: str
    outcome: Literal["inserted", "updated", "unchanged", "rejected"]
    problems: list[ProblemOut]


class PushOut(Schema):
    run: int
    kind: str
    partnership: str | None
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    results: list[ItemResultOut]


ITEMS_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            f"A JSON array of at most {MAX_ITEMS:,} items (and {MAX_BODY_MB} MB), each an "
            "object of the hub's fields for the kind, with `source_ref` always."
        ),
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": MAX_ITEMS,
                    "items": {"type": "object", "additionalProperties": True},
                },
                "example": [
                    {
                        "source_ref": "PS/2026/001234",
                        "category": "noise",
                        "occurred_at": "2026-11-20T23:30:00Z",
                        "risk": "amber",
                        "themes": ["asb"],
                        "narrative": "Loud party, third night running.",
                        "place": {"address_line_1": "12 High Street", "postcode": "KY1 1AA"},
                        "people": [
                            {
                                "role": "victim",
                                "source_ref": "P991",
                                "given_name": "Ann",
                                "family_name": "Smith",
                                "date_of_birth": "1984-03-12",
                            }
                        ],
                    }
                ],
            }
        },
    }
}


def _invalid(errors: list[tuple[str, str]], message: str = "The items are not valid.") -> NoReturn:
    shown = errors[:MAX_ERRORS]
    if len(errors) > MAX_ERRORS:
        message += f" {len(errors):,} problems; the first {MAX_ERRORS} are listed."
    raise InvalidInput(message, dict(shown))


def _read_items(request: HttpRequest) -> list:
    """The body as a JSON array, or 422 saying what is wrong with it."""
    limit = MAX_BODY_MB * 1024 * 1024
    # Read past Django's in-memory limit for request bodies (2.5 MB), which a push near
    # its maximum would pass; the limit here is the push's own.
    raw = request.body if hasattr(request, "_body") else request.read(limit + 1)
    if len(raw) > limit:
        raise HttpError(
            413,
            f"The body is bigger than {MAX_BODY_MB} MB: push the items in smaller batches.",
        )
    try:
        items = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        _invalid([("body", f"is not valid JSON: {exc}")])
    if not isinstance(items, list):
        _invalid([("body", "must be a JSON array of items, each an object of fields")])
    if not items:
        _invalid([("body", "has no items: send at least one")])
    if len(items) > MAX_ITEMS:
        _invalid(
            [
                (
                    "body",
                    f"has {len(items):,} items; at most {MAX_ITEMS:,} can be pushed at a "
                    "time: push them in several batches",
                )
            ],
            "Too many items.",
        )
    return items


def _value_problem(value: object, *, many: bool = False) -> str | None:
    if isinstance(value, SCALARS):
        return None
    if many and isinstance(value, list) and all(isinstance(v, SCALARS) for v in value):
        return None
    if many:
        return "must be text, a number, true or false, null, or a list of those"
    return "must be text, a number, true or false, or null"


def _shape_problems(kind: str, items: list) -> list[tuple[str, str]]:
    """What is wrong with the items' shape: not objects, unknown fields, values of the wrong
    JSON type. What the values say is checked by the import itself, item by item."""
    fields = set(FIELDS_OF_KIND[RecordKind(kind)])
    if kind == RecordKind.INCIDENTS:
        fields |= {"themes", "place", "people"}
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        where = f"[{index}]"
        if not isinstance(item, dict):
            problems.append((where, "must be an object of fields"))
            continue
        for name, value in item.items():
            path = f"{where}.{name}"
            if name not in fields:
                problems.append(
                    (path, f"is not a field of {kind}; the fields are {', '.join(sorted(fields))}")
                )
            elif name == "place":
                problems += _object_problems(path, value, PLACE_FIELDS, "place")
            elif name == "people":
                if not isinstance(value, list):
                    problems.append((path, "must be a list of people, each an object"))
                    continue
                for number, person in enumerate(value):
                    problems += _object_problems(
                        f"{path}[{number}]", person, (*SLOT_FIELDS, "role"), "person"
                    )
            elif problem := _value_problem(value, many=True):
                problems.append((path, problem))
    return problems


def _object_problems(
    path: str, value: object, names: tuple[str, ...], what: str
) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [(path, f"must be an object of {what} fields")]
    problems = []
    for name, part in value.items():
        if name not in names:
            problems.append(
                (f"{path}.{name}", f"is not a {what} field; the fields are {', '.join(names)}")
            )
        elif problem := _value_problem(part):
            problems.append((f"{path}.{name}", problem))
    return problems


def _may_push(user: User, partnership: Partnership | None) -> bool:
    if partnership is not None:
        return bool(roles_of_user(user=user, partnership=partnership) & PUSH_ROLES)
    return any(
        roles_of_user(user=user, partnership=p) & PUSH_ROLES
        for p in partnerships_of_user(user=user)
    )


def _partnership_of_push(user: User, kind: str, code: str | None) -> Partnership | None:
    if kind != RecordKind.INCIDENTS:
        if code is not None:
            _invalid(
                [
                    (
                        "query.partnership",
                        f"{kind} belong to your organisation, not to a partnership: leave it out",
                    )
                ]
            )
        return None
    mine = partnerships_of_user(user=user)
    if code is not None:
        partnership = mine.filter(code=code).first()
        if partnership is None:
            raise Http404(f"No partnership {code!r} that you are a member of.")
        return partnership
    if len(mine) == 1:
        return mine[0]
    _invalid(
        [
            (
                "query.partnership",
                "you work in several partnerships: say which one the incidents happened in, "
                "with ?partnership=CODE",
            )
        ]
    )
    return None


@router.post(
    "/imports/{kind}",
    response={
        200: PushOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Push incidents, people or places owned by your organisation, in bulk",
    description=(
        f"Up to {MAX_ITEMS:,} items (and {MAX_BODY_MB} MB) at a time, matched by `source_ref`: "
        "a new reference is inserted, a known one updated when anything changed, and pushing "
        "the same items again changes nothing. Each item's result says what became of it, "
        "with its problems when it was rejected. For coordinators and administrators. "
        "Incidents go to the partnership given by `?partnership=CODE` (needed only if you "
        "work in several)."
    ),
    openapi_extra=ITEMS_BODY,
)
def push(
    request: HttpRequest,
    kind: Literal["incidents", "people", "places"],
    partnership: str | None = None,
) -> dict:
    user = request.user
    if user.organisation is None:
        raise HttpError(403, "Your account belongs to no organisation, so it cannot own records.")
    where = _partnership_of_push(user, kind, partnership)
    if not _may_push(user, where):
        raise HttpError(
            403,
            "Only coordinators and administrators can push records"
            + (f" in partnership {where.code}." if where else "."),
        )
    items = _read_items(request)
    problems = _shape_problems(kind, items)
    if problems:
        _invalid(problems)
    try:
        run, results = items_import(
            organisation=user.organisation, kind=kind, items=items, user=user, partnership=where
        )
    except ImportInvalid as exc:
        _invalid([("query.partnership" if kind == RecordKind.INCIDENTS else "body", str(exc))])
    return {
        "run": run.pk,
        "kind": kind,
        "partnership": where.code if where else None,
        "inserted": run.rows_inserted,
        "updated": run.rows_updated,
        "unchanged": run.rows_unchanged,
        "rejected": run.rows_rejected,
        "results": [
            {
                "index": r.index,
                "source_ref": r.source_ref,
                "outcome": r.outcome,
                "problems": r.problems,
            }
            for r in results
        ],
    }
