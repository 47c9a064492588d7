"""Recording and changing person records, and writing down who read them."""

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from saferhub.audit.services import Disclosure, audit_record, disclosure_under
from saferhub.geography.postcodes import postcode_normalise
from saferhub.incidents.appearances import Appearance
from saferhub.incidents.models import Incident
from saferhub.incidents.services import disclosures_of
from saferhub.incidents.vocabulary import Sex
from saferhub.linkage.linking import records_link_on_arrival
from saferhub.linkage.models import EntityKind
from saferhub.partnerships.models import Organisation, User
from saferhub.people.identifiers import (
    chi_number_normalise,
    chi_number_problem,
    name_key,
    partial_date,
)
from saferhub.people.models import DatePrecision, PersonAddress, PersonRecord, PersonRecordRevision
from saferhub.sharing.engine import Access, Reader
from saferhub.sharing.models import Level
from saferhub.sharing.redaction import person_subject_key

_PHONE = re.compile(r"^[0-9 +()\-]{6,40}$")
MAX_OTHER_NAMES = 20


class PersonRecordInvalid(Exception):
    """The person record cannot be stored; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class AddressInput:
    address: str
    postcode: str = ""
    # A date, or text as "2019-04-01" or "1/4/2019".
    lived_from: datetime.date | str | None = None
    lived_to: datetime.date | str | None = None


@dataclass
class PersonRecordInput:
    """A person record as typed in a form, sent to the API or read from an import."""

    source_ref: str
    given_name: str = ""
    family_name: str = ""
    other_names: list[str] = field(default_factory=list)
    # Text, parsed with identifiers.partial_date ("1984-03-12", "03/1984", "1984"), or a
    # date; a date is known to the day unless date_of_birth_precision says otherwise.
    date_of_birth: datetime.date | str | None = None
    date_of_birth_precision: str = ""
    sex: str = Sex.UNKNOWN
    chi_number: str = ""
    phone: str = ""
    email: str = ""
    addresses: list[AddressInput] = field(default_factory=list)


FIELDS = tuple(f.name for f in fields(PersonRecordInput))


def _as_input(data: PersonRecordInput | Mapping) -> PersonRecordInput:
    if isinstance(data, PersonRecordInput):
        return data
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise PersonRecordInvalid(
            {name: "This is not a field of a person record" for name in unknown}
        )
    if "source_ref" not in data:
        raise PersonRecordInvalid({"source_ref": "Enter your organisation's reference"})
    return PersonRecordInput(**data)


def _as_address(value: AddressInput | Mapping) -> AddressInput:
    return value if isinstance(value, AddressInput) else AddressInput(**value)


def _day(value: datetime.date | str | None) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    text = value.strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (expected one like 1/4/2019)")


def _birth(data: PersonRecordInput) -> tuple[datetime.date | None, str]:
    """The date of birth as stored (the first day of what is known) and its precision."""
    value = data.date_of_birth
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, ""
    if isinstance(value, str):
        return partial_date(value)
    precision = data.date_of_birth_precision or DatePrecision.DAY
    if precision not in DatePrecision.values:
        raise ValueError(f"Unknown precision {precision!r}: one of day, month or year")
    if precision == DatePrecision.MONTH:
        value = value.replace(day=1)
    elif precision == DatePrecision.YEAR:
        value = value.replace(month=1, day=1)
    return value, precision


def _chi_problem(chi: str, born: datetime.date | None, precision: str) -> str | None:
    if born is not None and precision == DatePrecision.DAY:
        return chi_number_problem(chi, born)
    problem = chi_number_problem(chi)
    if problem or born is None:
        return problem
    # Known only to the month or the year, the date of birth still pins part of the prefix.
    known = chi[4:6] if precision == DatePrecision.YEAR else chi[2:6]
    expected = born.strftime("%y" if precision == DatePrecision.YEAR else "%m%y")
    if known != expected:
        return "the CHI number does not match the date of birth"
    return None


def other_names_key(names: Iterable[str]) -> str:
    """The other names folded for search: each whole and word by word, between spaces."""
    keys: list[str] = []
    for name in names:
        keys += [name_key(name), *(name_key(word) for word in name.split())]
    keys = [key for key in dict.fromkeys(keys) if key]
    return f" {' '.join(keys)} " if keys else ""


def _clean(
    data: PersonRecordInput, organisation_id: int, exclude_pk: int | None = None
) -> tuple[dict, list[dict]]:
    """Check everything; return the record's fields and its addresses, or raise
    PersonRecordInvalid with every problem at once."""
    errors: dict[str, str] = {}
    source_ref = (data.source_ref or "").strip()
    if not source_ref:
        errors["source_ref"] = "Enter your organisation's reference for this person"
    elif len(source_ref) > 100:
        errors["source_ref"] = "The reference can be at most 100 characters"
    else:
        clash = PersonRecord.objects.filter(organisation_id=organisation_id, source_ref=source_ref)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["source_ref"] = _duplicate_reference(source_ref)
    given, family = (data.given_name or "").strip(), (data.family_name or "").strip()
    if not given and not family:
        errors["family_name"] = "Enter a given name or a family name"
    for name, value in (("given_name", given), ("family_name", family)):
        if len(value) > 100:
            errors[name] = "A name can be at most 100 characters"
    other_names: list[str] = []
    if isinstance(data.other_names, str) or not isinstance(data.other_names, list | tuple):
        errors["other_names"] = "Give other names as a list"
    else:
        other_names = list(
            dict.fromkeys(str(n).strip() for n in data.other_names if str(n).strip())
        )
        if any(len(n) > 100 for n in other_names):
            errors["other_names"] = "A name can be at most 100 characters"
        elif len(other_names) > MAX_OTHER_NAMES:
            errors["other_names"] = f"Give at most {MAX_OTHER_NAMES} other names"
    born, precision = None, ""
    try:
        born, precision = _birth(data)
    except ValueError as exc:
        errors["date_of_birth"] = str(exc)
    if born is not None and born > timezone.localdate():
        errors["date_of_birth"] = "The date of birth cannot be in the future"
    sex = data.sex or Sex.UNKNOWN
    if sex not in Sex.values:
        errors["sex"] = f"Unknown sex {sex!r}: one of {', '.join(Sex.values)}"
    chi = chi_number_normalise(data.chi_number or "")
    if chi:
        problem = _chi_problem(chi, born, precision)
        if problem:
            errors["chi_number"] = problem[0].upper() + problem[1:]
    phone = (data.phone or "").strip()
    if phone and not _PHONE.match(phone):
        errors["phone"] = "Enter a phone number with digits, spaces and + ( ) - only"
    email = (data.email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter an email address like name@example.org"
    addresses = []
    for index, given_address in enumerate(data.addresses or []):
        try:
            address, problems = _clean_address(_as_address(given_address))
        except TypeError:
            errors[f"addresses[{index}]"] = "Give an address as address, postcode and dates"
            continue
        errors.update({f"addresses[{index}].{name}": text for name, text in problems.items()})
        addresses.append(address)
    if errors:
        raise PersonRecordInvalid(errors)
    return (
        {
            "source_ref": source_ref,
            "given_name": given,
            "family_name": family,
            "other_names": other_names,
            "date_of_birth": born,
            "date_of_birth_precision": precision,
            "sex": sex,
            "chi_number": chi,
            "phone": phone,
            "email": email,
            "given_key": name_key(given),
            "family_key": name_key(family),
            "other_keys": other_names_key(other_names),
        },
        addresses,
    )


def _clean_address(given: AddressInput) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    text = (given.address or "").strip()
    if not text:
        errors["address"] = "Enter the address"
    elif len(text) > 300:
        errors["address"] = "An address can be at most 300 characters"
    postcode = (given.postcode or "").strip()
    if postcode:
        try:
            postcode = postcode_normalise(postcode)
        except ValueError as exc:
            errors["postcode"] = str(exc)
    dates = {}
    for name in ("lived_from", "lived_to"):
        try:
            dates[name] = _day(getattr(given, name))
        except ValueError as exc:
            errors[name] = str(exc)
            dates[name] = None
    if dates["lived_from"] and dates["lived_to"] and dates["lived_to"] < dates["lived_from"]:
        errors["lived_to"] = "The person cannot have left before they arrived"
    return {"address": text, "postcode": postcode, **dates}, errors


def _duplicate_reference(reference: str) -> str:
    return f"Your organisation already has a person record with reference {reference}"


def _store_addresses(record: PersonRecord, addresses: list[dict]) -> None:
    PersonAddress.objects.bulk_create(PersonAddress(person=record, **a) for a in addresses)


@transaction.atomic
def person_record_create(
    *, user: User | None, organisation: Organisation, data: PersonRecordInput | Mapping
) -> PersonRecord:
    """Record a person as `organisation` holds them; all or nothing. `user` is None only for
    the hub's own work (an import run by a command); otherwise they must belong to it."""
    if user is not None and user.organisation_id != organisation.pk:
        raise PermissionError("You can only record people for your own organisation")
    values, addresses = _clean(_as_input(data), organisation.pk)
    try:
        # A savepoint, so that losing the race below leaves the caller's transaction usable.
        with transaction.atomic():
            record = PersonRecord.objects.create(organisation=organisation, **values)
    except IntegrityError:
        # Another request took the same reference between the check and the insert.
        raise PersonRecordInvalid(
            {"source_ref": _duplicate_reference(values["source_ref"])}
        ) from None
    _store_addresses(record, addresses)
    # Matched against the partnership's people at once; a failure is logged and the next
    # bulk run links the record, which is kept either way.
    records_link_on_arrival(kind=EntityKind.PERSON, records=[record], user=user)
    return record


def _addresses_of(record: PersonRecord) -> list[dict]:
    return [
        {
            "address": a.address,
            "postcode": a.postcode,
            "lived_from": a.lived_from,
            "lived_to": a.lived_to,
        }
        for a in record.addresses.order_by("pk")
    ]


SNAPSHOT_FIELDS = (
    "source_ref",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "date_of_birth_precision",
    "sex",
    "chi_number",
    "phone",
    "email",
)


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _snapshot(values: dict, addresses: list[dict]) -> dict:
    return {
        **{name: values[name] for name in SNAPSHOT_FIELDS},
        "other_names": list(values["other_names"]),
        "date_of_birth": _iso(values["date_of_birth"]),
        "addresses": [
            {**a, "lived_from": _iso(a["lived_from"]), "lived_to": _iso(a["lived_to"])}
            for a in addresses
        ],
    }


def person_record_snapshot(record: PersonRecord) -> dict:
    """What a person record says, as JSON (dates as ISO text): what a revision keeps."""
    return _snapshot(
        {name: getattr(record, name) for name in SNAPSHOT_FIELDS}, _addresses_of(record)
    )


@transaction.atomic
def person_record_update(
    *,
    user: User | None,
    record: PersonRecord,
    changes: Mapping,
    changed_through: str = "web",
) -> PersonRecord:
    """Change a person record its organisation holds (PermissionError for anyone else).

    `changes` holds PersonRecordInput field names; `addresses`, when given, replaces the
    list. A revision keeps what the record said before, only if something changed.
    """
    if user is not None and user.organisation_id != record.organisation_id:
        raise PermissionError("Only the organisation that holds a person record can change it")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise PersonRecordInvalid(
            {name: "This is not a field of a person record" for name in unknown}
        )
    current_addresses = _addresses_of(record)
    before = _snapshot({name: getattr(record, name) for name in SNAPSHOT_FIELDS}, current_addresses)
    current = PersonRecordInput(
        **{name: getattr(record, name) for name in SNAPSHOT_FIELDS},
        addresses=[AddressInput(**a) for a in current_addresses],
    )
    if "date_of_birth" in changes and "date_of_birth_precision" not in changes:
        # A new date says how much of it is known; the old precision belonged to the old date.
        current.date_of_birth_precision = ""
    current = replace(current, **changes)
    values, addresses = _clean(current, record.organisation_id, exclude_pk=record.pk)
    after = _snapshot(values, addresses)
    if after == before:
        return record
    for name, value in values.items():
        setattr(record, name, value)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise PersonRecordInvalid(
            {"source_ref": _duplicate_reference(values["source_ref"])}
        ) from None
    if after["addresses"] != before["addresses"]:
        record.addresses.all().delete()
        _store_addresses(record, addresses)
    PersonRecordRevision.objects.create(
        person=record, before=before, changed_by=user, changed_through=changed_through
    )
    return record


def _disclosure(record: PersonRecord, access: Access, incident: Incident) -> Disclosure:
    """The audit trail's account of showing a person record, and the incident that allowed it."""
    partnership_code = incident.partnership.code
    return disclosure_under(
        access,
        record_type="person_record",
        record_id=record.pk,
        partnership_code=partnership_code,
        owner_code=record.organisation.code,
        subjects=(person_subject_key(partnership_code, record),),
    )


def person_record_reads_record(
    *,
    reader: Reader,
    seen: Iterable[tuple[PersonRecord, Access, Appearance | None]],
    incidents: Iterable[Incident] = (),
) -> None:
    """Write down, in one audit call, each other organisation's person record the reader saw
    (with the access and the incident that allowed it, from selectors.person_record_access)
    and each other organisation's incident shown beside them. Own records are not a
    disclosure."""
    disclosures = [
        _disclosure(record, access, incident)
        for record, access, incident in seen
        if record.organisation_id != reader.organisation_id
        and incident is not None
        and access.level in (Level.PERSONAL, Level.DEPERSONALISED)
    ]
    disclosures += disclosures_of(reader, incidents)
    if disclosures:
        audit_record(
            actor=reader.user, action="read", purpose=reader.purpose, disclosures=disclosures
        )
