"""Reading and checking a partnership file (docs/partnership-file.md).

A partnership file is how partners review their set-up as a document, so every mistake in
it is reported by its key path (``protocols[1].signatories[2]``) and reason, all at once, and
nothing is applied until the whole file is right.
"""

import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from saferhub.partnerships.models import (
    STANDARD_THEMES,
    Involvement,
    OrganisationKind,
    Region,
    Role,
    Setting,
)
from saferhub.sharing.models import Audience, Level, ProtocolStatus, Purpose


class PartnershipFileError(Exception):
    """The file cannot be applied; `problems` lists each one as 'key.path: reason'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Username = Annotated[str, StringConstraints(pattern=r"^[\w.@+-]+$", max_length=150)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


def _choices(enum: Any, exclude: tuple[str, ...] = ()) -> Any:
    return Literal[tuple(value for value in enum.values if value not in exclude)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, str_strip_whitespace=True)


class PartnershipSpec(_Strict):
    code: Code
    name: Text
    local_authority: ShortText
    region: _choices(Region)  # type: ignore[valid-type]
    setting: _choices(Setting)  # type: ignore[valid-type]


class OrganisationSpec(_Strict):
    code: Code
    name: Text
    kind: _choices(OrganisationKind)  # type: ignore[valid-type]
    involvement: _choices(Involvement)  # type: ignore[valid-type]


class FundedPostSpec(_Strict):
    funder: Code
    host: Code
    post: Text
    annual_cost_gbp: Annotated[int, Field(ge=0, le=100_000_000)]


class UserSpec(_Strict):
    username: Username
    name: Text
    email: Email
    organisation: Code
    roles: Annotated[list[_choices(Role)], Field(min_length=1)]  # type: ignore[valid-type]


class ThemeSpec(_Strict):
    code: Code
    name: ShortText


class ProtocolSpec(_Strict):
    code: Code
    title: Title
    version: Annotated[int, Field(ge=1)]
    status: _choices(ProtocolStatus, exclude=(ProtocolStatus.SUPERSEDED,))  # type: ignore[valid-type]
    effective_from: datetime.date
    expires_on: datetime.date | None = None
    review_by: datetime.date
    signatories: Annotated[list[Code], Field(min_length=2)]
    themes: Annotated[list[Code], Field(min_length=1)]
    level: _choices(Level, exclude=(Level.NONE,))  # type: ignore[valid-type]
    audience: _choices(Audience)  # type: ignore[valid-type]
    purposes: Annotated[list[_choices(Purpose)], Field(min_length=1)]  # type: ignore[valid-type]
    legal_basis: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    retention_months: Annotated[int, Field(ge=1, le=1200)]


class PartnershipFile(_Strict):
    partnership: PartnershipSpec
    organisations: Annotated[list[OrganisationSpec], Field(min_length=1)]
    funded_posts: list[FundedPostSpec] = []
    users: list[UserSpec] = []
    themes: list[Code | ThemeSpec] = []
    protocols: list[ProtocolSpec] = []

    def extra_themes(self) -> dict[str, str]:
        """Themes beyond the standard list, code to name."""
        extra = {}
        for theme in self.themes:
            code, name = (theme.code, theme.name) if isinstance(theme, ThemeSpec) else (theme, "")
            if code not in STANDARD_THEMES:
                extra[code] = name or code.replace("_", " ").replace("-", " ").capitalize()
        return extra


class _FileLoader(yaml.SafeLoader):
    """Safe YAML that keeps dates as text (so a bad date is reported by key, not raised
    mid-parse) and refuses a key given twice in one mapping (YAML would keep the last)."""


_FileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping_without_duplicates(loader: _FileLoader, node: yaml.MappingNode) -> dict:
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice", mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_FileLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)


def key_path(location: tuple[Any, ...]) -> str:
    """('protocols', 0, 'themes', 2) -> 'protocols[0].themes[2]'."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a key the partnership file knows",
    "string_type": "must be text",
    "list_type": "must be a list",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
}


def _describe(error: dict) -> str:
    kind = error["type"]
    given = error.get("input")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{given!r} is not allowed here; expected {expected}"
    if kind.startswith("date"):
        return f"{given!r} is not a valid date (write it as YYYY-MM-DD)"
    if kind == "string_pattern_mismatch":
        return (
            f"{given!r} is not a valid code or name here "
            "(use lower-case letters, digits, '-' and '_')"
            if "a-z0-9" in error.get("ctx", {}).get("pattern", "")
            else f"{given!r} is not in the expected form"
        )
    if kind == "too_short":
        return "needs at least " + str(error.get("ctx", {}).get("min_length", 1)) + " item(s)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long: at most {error.get('ctx', {}).get('max_length')} characters"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{given!r} is out of range: {error['msg'].lower()}"
    return error["msg"]


def parse_partnership_file(text: str, source: str = "the file") -> PartnershipFile:
    """Parse and check a partnership file; raise PartnershipFileError listing every problem."""
    try:
        data = yaml.load(text, Loader=_FileLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        kind = "" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error at "
        raise PartnershipFileError(
            [f"{source}: {kind}{where}: {exc.problem or exc.context}"]
        ) from None
    except yaml.YAMLError as exc:
        raise PartnershipFileError([f"{source}: not readable as YAML: {exc}"]) from None
    return validate_partnership_data(data, source)


def validate_partnership_data(data: Any, source: str = "the file") -> PartnershipFile:
    """Check already-parsed partnership data (as from YAML); raise PartnershipFileError."""
    if not isinstance(data, dict):
        raise PartnershipFileError(
            [f"{source}: must be a mapping with 'partnership' and 'organisations' keys"]
        )
    try:
        document = PartnershipFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = error["loc"]
            # A theme may be a code or a mapping; report only the closer of the two readings.
            if location[:1] == ("themes",) and len(location) > 2:
                location = location[:2] + location[3:]
            problems.append(f"{key_path(location)}: {_describe(error)}")
        raise PartnershipFileError(list(dict.fromkeys(problems))) from None
    problems = _cross_check(document)
    if problems:
        raise PartnershipFileError(problems)
    return document


def read_partnership_file(path: Path) -> PartnershipFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PartnershipFileError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PartnershipFileError([f"{path}: cannot be read ({exc})"]) from None
    return parse_partnership_file(text, source=str(path))


def _duplicates(values: list[str]) -> set[str]:
    seen, repeated = set(), set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return repeated


def _cross_check(document: PartnershipFile) -> list[str]:
    """Checks that span keys: references to organisations and themes, duplicates, dates."""
    problems: list[str] = []
    organisation_codes = [o.code for o in document.organisations]
    known_organisations = set(organisation_codes)

    def check_organisation(code: str, where: str) -> None:
        if code not in known_organisations:
            problems.append(
                f"{where}: unknown organisation {code!r} (it must be listed under organisations)"
            )

    def check_unique(values: list[str], where: str, what: str) -> None:
        for value in sorted(_duplicates(values)):
            index = values.index(value, values.index(value) + 1)
            problems.append(f"{where}[{index}]: duplicate {what} {value!r}")

    check_unique(organisation_codes, "organisations", "organisation code")

    for i, post in enumerate(document.funded_posts):
        check_organisation(post.funder, f"funded_posts[{i}].funder")
        check_organisation(post.host, f"funded_posts[{i}].host")
    check_unique(
        [f"{p.funder}/{p.host}/{p.post}" for p in document.funded_posts],
        "funded_posts",
        "post (same funder, host and post name)",
    )

    check_unique([u.username for u in document.users], "users", "username")
    for i, user in enumerate(document.users):
        check_organisation(user.organisation, f"users[{i}].organisation")
        check_unique(list(user.roles), f"users[{i}].roles", "role")

    theme_codes = [t.code if isinstance(t, ThemeSpec) else t for t in document.themes]
    check_unique(theme_codes, "themes", "theme")
    known_themes = set(STANDARD_THEMES) | set(theme_codes)

    check_unique(
        [p.code for p in document.protocols], "protocols", "protocol code (one version per file)"
    )
    for i, protocol in enumerate(document.protocols):
        where = f"protocols[{i}]"
        for j, code in enumerate(protocol.signatories):
            check_organisation(code, f"{where}.signatories[{j}]")
        check_unique(protocol.signatories, f"{where}.signatories", "signatory")
        for j, theme in enumerate(protocol.themes):
            if theme not in known_themes:
                problems.append(
                    f"{where}.themes[{j}]: unknown theme {theme!r} "
                    "(use a standard theme or list it under themes)"
                )
        check_unique(protocol.themes, f"{where}.themes", "theme")
        check_unique(list(protocol.purposes), f"{where}.purposes", "purpose")
        if protocol.expires_on and protocol.expires_on < protocol.effective_from:
            problems.append(
                f"{where}.expires_on: {protocol.expires_on} is before effective_from "
                f"{protocol.effective_from}"
            )
    return problems
