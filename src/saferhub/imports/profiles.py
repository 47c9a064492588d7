"""Mapping profiles: how one organisation's export of one kind reads (docs/imports.md).

A profile says which column of the partner's file is which field of the hub, how the partner's
own codes translate into the hub's, which date formats it writes, which themes its rows carry
and which columns hold the people and the place of an incident. Profiles are kept in the
database (MappingProfile.spec holds a ProfileSpec as JSON) and written as a YAML file:

    profiles:
      - organisation: police-fife
        name: police-occurrences
        kind: incidents
        columns: {source_ref: Occurrence Number, occurred_at: Date Occurred, ...}

Like the partnership file, every mistake in a profile file is reported by its key path
(``profiles[2].codes.category``) and reason, all at once, and nothing is applied until the
whole file is right.
"""

import codecs
import re
from typing import Annotated, Any, Literal

import yaml
from django.db import transaction
from django.db.models import Q
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from saferhub.imports.models import MappingProfile, RecordKind
from saferhub.incidents.vocabulary import Category, PersonRole, Risk, Sex, VulnerabilityFlag
from saferhub.partnerships.models import Organisation, Theme
from saferhub.partnerships.partnership_file import _describe, _FileLoader, key_path
from saferhub.places.models import PropertyType


class ProfileFileInvalid(Exception):
    """The profile file cannot be applied; `problems` lists each one as 'key.path: reason'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# The hub's fields of each kind, in the order a report lists them. A profile maps each to the
# heading of a column in the partner's file.
INCIDENT_FIELDS = (
    "source_ref",
    "category",
    "occurred_at",
    "reported_at",
    "narrative",
    "risk",
    "vulnerability_flags",
    "restricted",
    "relevant_partners",
)
PERSON_FIELDS = (
    "source_ref",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "chi_number",
    "phone",
    "email",
    "address",
    "postcode",
    "address_from",
    "address_to",
)
PLACE_FIELDS = (
    "source_ref",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "uprn",
    "easting",
    "northing",
    "latitude",
    "longitude",
    "property_type",
)
# The columns of one person slot of an incident (victim, perpetrator, ...).
SLOT_FIELDS = ("source_ref", "given_name", "family_name", "date_of_birth", "sex")

FIELDS_OF_KIND = {
    RecordKind.INCIDENTS: INCIDENT_FIELDS,
    RecordKind.PEOPLE: PERSON_FIELDS,
    RecordKind.PLACES: PLACE_FIELDS,
}
# Fields that must have a value in every row: from a column, or from `defaults`.
REQUIRED_FIELDS = {
    RecordKind.INCIDENTS: ("source_ref", "category", "occurred_at"),
    RecordKind.PEOPLE: ("source_ref",),
    RecordKind.PLACES: ("source_ref",),
}
# The fields whose values are the hub's codes, and the codes they allow.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "category": tuple(Category.values),
    "risk": tuple(Risk.values),
    "vulnerability_flags": tuple(VulnerabilityFlag.values),
    "sex": tuple(Sex.values),
    "property_type": tuple(PropertyType.values),
}
CODED_FIELDS_OF_KIND = {
    # Incidents carry people (sex) and a place (property type) too.
    RecordKind.INCIDENTS: ("category", "risk", "vulnerability_flags", "sex", "property_type"),
    RecordKind.PEOPLE: ("sex",),
    RecordKind.PLACES: ("property_type",),
}
# strptime directives a profile may use: the ones both Python and DuckDB read the same way.
DATE_DIRECTIVES = set("dmyYHIMSpbBf%")
DEFAULT_DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
]

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
Heading = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PartnerCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FileSpec(_Strict):
    # Not stripped: a tab ("\t") is a delimiter partners really use.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    encoding: str = "utf-8"
    delimiter: Annotated[str, StringConstraints(min_length=1, max_length=1)] = ","
    # The worksheet of an XLSX workbook to read; the first when not given.
    sheet: str | None = None


class ThemesSpec(_Strict):
    """Themes from a column: each partner code gives a list of theme codes."""

    column: Heading
    codes: dict[PartnerCode, list[Code]] = {}


class PlaceColumns(_Strict):
    source_ref: Heading | None = None
    address_line_1: Heading | None = None
    address_line_2: Heading | None = None
    town: Heading | None = None
    postcode: Heading | None = None
    uprn: Heading | None = None
    easting: Heading | None = None
    northing: Heading | None = None
    latitude: Heading | None = None
    longitude: Heading | None = None
    property_type: Heading | None = None

    def mapped(self) -> dict[str, str]:
        return {name: heading for name, heading in self if heading}


class SlotColumns(_Strict):
    source_ref: Heading | None = None
    given_name: Heading | None = None
    family_name: Heading | None = None
    date_of_birth: Heading | None = None
    sex: Heading | None = None

    def mapped(self) -> dict[str, str]:
        return {name: heading for name, heading in self if heading}


class PersonSlot(_Strict):
    role: Literal[tuple(PersonRole.values)]  # type: ignore[valid-type]
    columns: SlotColumns


class ProfileSpec(_Strict):
    """One mapping profile, as written in the profile file and stored in MappingProfile.spec."""

    organisation: Code
    name: Annotated[str, StringConstraints(pattern=r"^[-a-zA-Z0-9_]+$", max_length=60)]
    kind: Literal[tuple(RecordKind.values)]  # type: ignore[valid-type]
    description: Annotated[str, StringConstraints(max_length=300)] = ""
    file: FileSpec = FileSpec()
    date_formats: Annotated[list[str], Field(min_length=1)] = DEFAULT_DATE_FORMATS
    columns: dict[str, Heading]
    codes: dict[str, dict[PartnerCode, Code]] = {}
    themes: ThemesSpec | None = None
    default_themes: list[Code] = []
    defaults: dict[str, str] = {}
    place: PlaceColumns | None = None
    people: list[PersonSlot] = []

    def headings(self) -> dict[str, str]:
        """Every column the profile reads, heading to what it is for (for messages)."""
        used = {heading: field for field, heading in self.columns.items()}
        if self.themes:
            used.setdefault(self.themes.column, "themes")
        for field, heading in (self.place.mapped() if self.place else {}).items():
            used.setdefault(heading, f"place {field}")
        for slot in self.people:
            for field, heading in slot.columns.mapped().items():
                used.setdefault(heading, f"{slot.role} {field}")
        return used

    def required_headings(self) -> dict[str, str]:
        """The columns a file must have: those of the required fields without a default."""
        return {
            self.columns[field]: field
            for field in REQUIRED_FIELDS[self.kind]
            if field in self.columns and field not in self.defaults
        }


class ProfileFile(_Strict):
    profiles: list[ProfileSpec]


def _spec_problems(index: int, spec: ProfileSpec) -> list[str]:
    """Checks that span keys: fields of the kind, codes, formats, incident-only keys."""
    where = f"profiles[{index}]"
    problems: list[str] = []
    kind = RecordKind(spec.kind)
    known = FIELDS_OF_KIND[kind]
    for field in spec.columns:
        if field not in known:
            problems.append(
                f"{where}.columns.{field}: is not a field of {kind.value}; "
                f"the fields are {', '.join(known)}"
            )
    for field in REQUIRED_FIELDS[kind]:
        if field not in spec.columns and (field == "source_ref" or field not in spec.defaults):
            problems.append(f"{where}.columns.{field}: is required (the column holding it)")
    coded = CODED_FIELDS_OF_KIND[kind]
    for field, table in spec.codes.items():
        if field not in coded:
            problems.append(
                f"{where}.codes.{field}: codes can be given for {', '.join(coded)}, not {field}"
            )
            continue
        seen: dict[str, str] = {}
        for partner_code, hub_code in table.items():
            if hub_code not in VOCABULARIES[field]:
                problems.append(
                    f"{where}.codes.{field}.{partner_code}: {hub_code!r} is not a hub code for "
                    f"{field}; expected one of {', '.join(VOCABULARIES[field])}"
                )
            folded = partner_code.lower()
            if folded in seen:
                problems.append(
                    f"{where}.codes.{field}.{partner_code}: the same code as {seen[folded]!r} "
                    "(codes are matched without regard to case)"
                )
            seen[folded] = partner_code
    for field, value in spec.defaults.items():
        if field not in known or field == "source_ref":
            problems.append(
                f"{where}.defaults.{field}: is not a field of {kind.value} with a default"
            )
        elif (
            field in VOCABULARIES
            and field != "vulnerability_flags"
            and value not in VOCABULARIES[field]
        ):
            problems.append(
                f"{where}.defaults.{field}: {value!r} is not a hub code for {field}; "
                f"expected one of {', '.join(VOCABULARIES[field])}"
            )
    for i, pattern in enumerate(spec.date_formats):
        directives = set(re.findall(r"%(.)", pattern))
        if not directives or not directives <= DATE_DIRECTIVES:
            problems.append(
                f"{where}.date_formats[{i}]: {pattern!r} is not a date format the hub reads "
                "(use %d %m %Y %y %H %M %S %I %p %b %B %f, as in '%d/%m/%Y %H:%M')"
            )
    try:
        codecs.lookup(spec.file.encoding)
    except LookupError:
        problems.append(f"{where}.file.encoding: {spec.file.encoding!r} is not a known encoding")
    if spec.file.delimiter in ('"', "\n", "\r"):
        problems.append(f"{where}.file.delimiter: {spec.file.delimiter!r} cannot be a delimiter")
    if kind != RecordKind.INCIDENTS:
        for key in ("themes", "place"):
            if getattr(spec, key) is not None:
                problems.append(f"{where}.{key}: only a profile of incidents has {key}")
        for key in ("people", "default_themes"):
            if getattr(spec, key):
                problems.append(f"{where}.{key}: only a profile of incidents has {key}")
    else:
        if not spec.default_themes and not spec.themes:
            problems.append(
                f"{where}.default_themes: an incident needs a theme: give default_themes, "
                "or themes from a column"
            )
        roles = [slot.role for slot in spec.people]
        for i, slot in enumerate(spec.people):
            if not slot.columns.mapped():
                problems.append(f"{where}.people[{i}].columns: name at least one column")
            elif not (set(slot.columns.mapped()) & {"source_ref", "given_name", "family_name"}):
                problems.append(
                    f"{where}.people[{i}].columns: a person needs a source_ref or a name column"
                )
            if roles.count(slot.role) > 1 and roles.index(slot.role) != i:
                pass  # Two victims columns sets are fine: an incident can have two victims.
        if spec.place is not None and not spec.place.mapped():
            problems.append(f"{where}.place: name at least one column")
    return problems


def _theme_problems(index: int, spec: ProfileSpec, organisation: Organisation) -> list[str]:
    """Theme codes must be themes of a partnership the organisation belongs to."""
    known = set(
        Theme.objects.filter(
            Q(partnership__isnull=True) | Q(partnership__memberships__organisation=organisation)
        ).values_list("code", flat=True)
    )
    problems = []
    where = f"profiles[{index}]"
    for i, code in enumerate(spec.default_themes):
        if code not in known:
            problems.append(f"{where}.default_themes[{i}]: unknown theme {code!r}")
    if spec.themes:
        for partner_code, codes in spec.themes.codes.items():
            for i, code in enumerate(codes):
                if code not in known:
                    problems.append(
                        f"{where}.themes.codes.{partner_code}[{i}]: unknown theme {code!r}"
                    )
    return problems


_MESSAGES = {
    "extra_forbidden": "is not a key a mapping profile knows",
    "dict_type": "must be a mapping of keys to values",
}


def parse_profiles(text: str, source: str = "the file") -> list[ProfileSpec]:
    """Parse and check a profile file; raise ProfileFileInvalid listing every problem."""
    try:
        data = yaml.load(text, Loader=_FileLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise ProfileFileInvalid([f"{source}: {where}: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise ProfileFileInvalid([f"{source}: not readable as YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ProfileFileInvalid([f"{source}: must be a mapping with a 'profiles' list"])
    try:
        document = ProfileFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            reason = _MESSAGES.get(error["type"]) or _describe(error)
            reason = reason.replace("the partnership file", "a profile file")
            problems.append(f"{key_path(error['loc'])}: {reason}")
        raise ProfileFileInvalid(list(dict.fromkeys(problems))) from None
    problems = []
    names: dict[tuple[str, str], int] = {}
    for index, spec in enumerate(document.profiles):
        problems += _spec_problems(index, spec)
        key = (spec.organisation, spec.name)
        if key in names:
            problems.append(
                f"profiles[{index}].name: {spec.name!r} is also profiles[{names[key]}] of "
                f"{spec.organisation}"
            )
        names.setdefault(key, index)
    if problems:
        raise ProfileFileInvalid(problems)
    return document.profiles


def profile_spec_of(profile: MappingProfile) -> ProfileSpec:
    """The validated spec of a stored profile."""
    return ProfileSpec.model_validate(profile.spec)


@transaction.atomic
def profiles_apply(*, text: str, source: str, user=None) -> list[MappingProfile]:
    """Create or update the profiles of a profile file, all or nothing. Raises
    ProfileFileInvalid naming each problem by its key path."""
    specs = parse_profiles(text, source)
    codes = {spec.organisation for spec in specs}
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    problems = []
    for index, spec in enumerate(specs):
        organisation = organisations.get(spec.organisation)
        if organisation is None:
            problems.append(
                f"profiles[{index}].organisation: unknown organisation {spec.organisation!r}"
            )
            continue
        if user is not None and not user.is_superuser and user.organisation_id != organisation.pk:
            problems.append(
                f"profiles[{index}].organisation: you can only manage the profiles of your "
                "own organisation"
            )
            continue
        problems += _theme_problems(index, spec, organisation)
    if problems:
        raise ProfileFileInvalid(problems)
    saved = []
    for spec in specs:
        profile, _ = MappingProfile.objects.update_or_create(
            organisation=organisations[spec.organisation],
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "description": spec.description,
                "spec": spec.model_dump(mode="json"),
                "updated_by": user,
            },
        )
        saved.append(profile)
    return saved


def _compact(spec: dict) -> dict:
    """The spec without empty or default keys, as a person would write it."""
    defaults = ProfileSpec.model_construct().__dict__
    compact: dict[str, Any] = {}
    for key, value in spec.items():
        if key in ("organisation", "name", "kind", "columns"):
            compact[key] = value
        elif key == "file":
            changed = {k: v for k, v in value.items() if v != FileSpec().model_dump()[k]}
            if changed:
                compact[key] = changed
        elif key in ("place",) and value:
            compact[key] = {k: v for k, v in value.items() if v}
        elif key == "people" and value:
            compact[key] = [
                {"role": s["role"], "columns": {k: v for k, v in s["columns"].items() if v}}
                for s in value
            ]
        elif value not in (None, "", [], {}) and value != defaults.get(key):
            compact[key] = value
    return compact


def profiles_export(organisation: Organisation) -> str:
    """The organisation's profiles as a profile file (YAML); applying it changes nothing."""
    profiles = MappingProfile.objects.filter(organisation=organisation).order_by("name")
    document = {
        "profiles": [_compact(profile_spec_of(p).model_dump(mode="json")) for p in profiles]
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def identity_spec(*, organisation: str, kind: str, people: int = 0) -> ProfileSpec:
    """The profile of an API push: every column is named after its hub field, codes are the
    hub's own, dates are ISO 8601. An incident's place columns are `place.FIELD`; its people
    come as slots `people[i].FIELD`, whose role is read from the column `people[i].role`
    (see saferhub.imports.plan)."""
    fields = FIELDS_OF_KIND[RecordKind(kind)]
    spec: dict[str, Any] = {
        "organisation": organisation,
        "name": "api",
        "kind": kind,
        "date_formats": [
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M:%S.%f",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M:%S.%f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d",
        ],
        "columns": {field: field for field in fields},
    }
    if kind == RecordKind.INCIDENTS:
        spec["place"] = {field: f"place.{field}" for field in PLACE_FIELDS}
        spec["themes"] = {"column": "themes"}
    return ProfileSpec.model_validate(spec)
