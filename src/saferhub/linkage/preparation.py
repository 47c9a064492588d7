"""The records of a partnership as linkage compares them: cleaned comparison columns, one row
per person or place record, built the same way for a bulk run (a pyarrow table handed to
Splink) and for one record on arrival (a dict scored in Python), so that both see the same
values.

These are the organisations' own records read by the hub itself to link them; nothing here is
shown to a user, and nothing from here may be.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from types import SimpleNamespace

import pyarrow as pa

from saferhub.demo.names import FEMALE_NAMES, MALE_NAMES
from saferhub.incidents.vocabulary import Sex
from saferhub.linkage.models import EntityKind
from saferhub.partnerships.models import Membership, Partnership
from saferhub.people.identifiers import name_key
from saferhub.people.models import DatePrecision, PersonAddress, PersonRecord
from saferhub.places.addresses import address_key
from saferhub.places.models import PlaceRecord


def _nickname_table() -> dict[str, dict[str, str]]:
    """Folded given name -> {sex: the full name it stands for}. A familiar form shared by both
    sexes (Chris, Pat, Sam) stands for a different full name for each."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for sex, names in ((Sex.MALE, MALE_NAMES), (Sex.FEMALE, FEMALE_NAMES)):
        for full, familiar in names.items():
            for form in (full, *familiar):
                table[name_key(form)].setdefault(sex, name_key(full))
    return dict(table)


NICKNAMES = _nickname_table()


def canonical_given_name(given: str | None, sex: str | None) -> str | None:
    """The full given name a folded given name stands for ("rab" -> "robert"): the name itself
    when it is no familiar form. A form both sexes use is read by the record's sex, or, when
    the sex is not known, as the full name first in the alphabet (the same for every record)."""
    if not given:
        return None
    meanings = NICKNAMES.get(given)
    if not meanings:
        return given
    if sex in meanings:
        return meanings[sex]
    return min(meanings.values())


def given_name_forms(canonical: str | None) -> list[str]:
    """Every folded form of a full given name (itself and its familiar forms): what a
    candidate's given name may be when it is the same name."""
    if not canonical:
        return []
    return sorted({form for form, by_sex in NICKNAMES.items() if canonical in by_sex.values()})


def postcode_sector(postcode: str | None) -> str | None:
    """ "DD1 4HN" -> "DD1 4": the outward code and the first digit of the inward code."""
    if not postcode or " " not in postcode:
        return None
    return postcode[:-2]


# The same street written short and long by different systems; and words that say nothing
# about which property it is ("Flat 0/2" is kept as its numbers).
ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "dr": "drive",
    "cres": "crescent",
    "cr": "crescent",
    "pl": "place",
    "ct": "court",
    "gdns": "gardens",
    "gds": "gardens",
    "terr": "terrace",
    "ter": "terrace",
    "tce": "terrace",
    "sq": "square",
    "ln": "lane",
    "pk": "park",
    "brae": "brae",
}
IGNORED_WORDS = {"flat", "the"}


@lru_cache(maxsize=200_000)
def address_words(*parts: str) -> str:
    """The address folded (saferhub.places.addresses.address_key), each abbreviation written
    out and words that do not tell properties apart left out: "Flat 0/2, 7 Menzieshill Rd" and
    "0/2 7 menzieshill road" give the same."""
    words = address_key(*parts).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words if word not in IGNORED_WORDS)


@lru_cache(maxsize=200_000)
def _address_parts(key: str) -> tuple[list[str] | None, str | None]:
    """The address key's words and its numbers, worked out once per distinct address (the
    same home is in many records)."""
    return _tokens(key), _numbers(key)


def _tokens(key: str | None) -> list[str] | None:
    return sorted(set(key.split())) if key else None


# Whether a word has a digit in it: compiled once, as addresses are folded by the million.
_has_digit = re.compile(r"\d").search


def _numbers(key: str | None) -> str | None:
    """Every word of the address with a digit in it, in order: the flat, the house, the close.
    Two addresses alike in words but not in these are neighbours, not the same place."""
    numbered = [word for word in (key or "").split() if _has_digit(word)]
    return " ".join(numbered) or None


def _house_number(key: str | None) -> str | None:
    """The last word before the street with a digit in it: the house or the close ("55" of
    "0 2 55 kirkton road", "12a" of "12a high street")."""
    numbered = [word for word in (key or "").split() if re.search(r"\d", word)]
    return numbered[-1] if numbered else None


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


# The comparison columns of each kind, with their pyarrow types: the table's schema.
PERSON_COLUMNS: dict[str, pa.DataType] = {
    "unique_id": pa.int64(),
    "organisation_id": pa.int64(),
    "given_name": pa.string(),
    "family_name": pa.string(),
    "given_canonical": pa.string(),
    "other_names": pa.string(),
    "dob_year": pa.int64(),
    "dob_month": pa.int64(),
    "dob_day": pa.int64(),
    "sex": pa.string(),
    "chi": pa.string(),
    "postcode": pa.string(),
    "postcode_sector": pa.string(),
    "postcodes": pa.list_(pa.string()),
    "address_key": pa.string(),
    "address_tokens": pa.list_(pa.string()),
    "address_numbers": pa.string(),
}
PLACE_COLUMNS: dict[str, pa.DataType] = {
    "unique_id": pa.int64(),
    "organisation_id": pa.int64(),
    "uprn": pa.string(),
    "postcode": pa.string(),
    "postcode_sector": pa.string(),
    "address_key": pa.string(),
    "address_tokens": pa.list_(pa.string()),
    "address_numbers": pa.string(),
    "house_number": pa.string(),
}
COLUMNS = {EntityKind.PERSON: PERSON_COLUMNS, EntityKind.PLACE: PLACE_COLUMNS}


def person_row(record: PersonRecord | SimpleNamespace, addresses: list[tuple[str, str]]) -> dict:
    """One person record's comparison columns (`record` a PersonRecord, or its PERSON_FIELDS);
    `addresses` are its (address, postcode), the current first."""
    return {**person_row_without_home(record), **home_columns(addresses)}


def person_row_without_home(record: PersonRecord | SimpleNamespace) -> dict:
    """A person record's comparison columns but those of where they live (HOME_COLUMNS): what
    an arriving record's candidates are first scored on, before their addresses are folded,
    which only those that could reach a threshold need."""
    given = _blank_to_none(record.given_key or name_key(record.given_name))
    family = _blank_to_none(record.family_key or name_key(record.family_name))
    sex = record.sex if record.sex in (Sex.MALE, Sex.FEMALE) else None
    born, precision = record.date_of_birth, record.date_of_birth_precision or DatePrecision.DAY
    return {
        "unique_id": record.pk,
        "organisation_id": record.organisation_id,
        "given_name": given,
        "family_name": family,
        "given_canonical": canonical_given_name(given, sex),
        "other_names": _blank_to_none(record.other_keys),
        "dob_year": born.year if born else None,
        "dob_month": born.month if born and precision != DatePrecision.YEAR else None,
        "dob_day": born.day if born and precision == DatePrecision.DAY else None,
        "sex": sex,
        "chi": _blank_to_none(record.chi_number),
    }


def home_columns(addresses: list[tuple[str, str]]) -> dict:
    """The comparison columns of where a person lives, from their (address, postcode), the
    current first."""
    return {**postcode_columns(addresses), **address_columns(addresses)}


def postcode_columns(addresses: list[tuple[str, str]]) -> dict:
    """The postcode columns of where a person lives (nothing to fold)."""
    postcodes = list(dict.fromkeys(postcode for _, postcode in addresses if postcode))
    return {
        "postcode": postcodes[0] if postcodes else None,
        "postcode_sector": postcode_sector(postcodes[0]) if postcodes else None,
        "postcodes": postcodes or None,
    }


def address_columns(addresses: list[tuple[str, str]]) -> dict:
    """The columns of the current address, folded (ADDRESS_COLUMNS): what costs time."""
    current_key = address_words(addresses[0][0]) if addresses else ""
    tokens, numbers = _address_parts(current_key)
    return {
        "address_key": _blank_to_none(current_key),
        "address_tokens": list(tokens) if tokens is not None else None,
        "address_numbers": numbers,
    }


# The columns of person_row that come from the person's current address, folded.
ADDRESS_COLUMNS = frozenset(("address_key", "address_tokens", "address_numbers"))
# The columns of person_row that come from the person's addresses.
HOME_COLUMNS = frozenset(
    ("postcode", "postcode_sector", "postcodes", "address_key", "address_tokens", "address_numbers")
)


def without_locality(*lines: str) -> str:
    """The address lines without the town or district some partners write after the street
    ("23 Lochee Rd, Dundee", "12 High St, Broughty Ferry, Dundee" give "23 Lochee Rd" and "12
    High St"): trailing comma-separated parts with no number in them, once a part with a
    number (the house or flat) comes before them. An address with no number keeps its parts.
    Measured on the demo, the fire service's town in the address line kept 1,514 of the 1,568
    pairs of place records the hub missed apart (docs/linkage.md)."""
    parts = [part.strip() for line in lines if line for part in line.split(",") if part.strip()]
    while len(parts) > 1 and not re.search(r"\d", parts[-1]):
        if not any(re.search(r"\d", part) for part in parts[:-1]):
            break
        parts.pop()
    return ", ".join(parts)


def place_row(record: PlaceRecord | SimpleNamespace) -> dict:
    """One place record's comparison columns. The address key leaves the postcode out, which
    is compared on its own, and the town, which some partners write and others do not."""
    key = address_words(without_locality(record.address_line_1, record.address_line_2))
    return {
        "unique_id": record.pk,
        "organisation_id": record.organisation_id,
        "uprn": _blank_to_none(record.uprn),
        "postcode": _blank_to_none(record.postcode),
        "postcode_sector": postcode_sector(record.postcode),
        "address_key": _blank_to_none(key),
        "address_tokens": _tokens(key),
        "address_numbers": _numbers(key),
        "house_number": _house_number(key),
    }


def _addresses_by_person(person_ids: Iterable[int] | None, organisation_ids: list[int]):
    addresses: dict[int, list[tuple[str, str]]] = defaultdict(list)
    query = PersonAddress.objects.all()
    if person_ids is not None:
        query = query.filter(person_id__in=list(person_ids))
    else:
        query = query.filter(person__organisation_id__in=organisation_ids)
    # The model's ordering (latest lived_from first) puts the current address first.
    for person_id, address, postcode in query.values_list("person_id", "address", "postcode"):
        addresses[person_id].append((address, postcode))
    return addresses


def member_organisation_ids(partnership: Partnership) -> list[int]:
    return sorted(
        Membership.objects.filter(partnership=partnership).values_list("organisation_id", flat=True)
    )


def person_rows(records: Iterable[PersonRecord]) -> list[dict]:
    """The comparison columns of some person records (their addresses read in one query)."""
    records = list(records)
    addresses = _addresses_by_person([r.pk for r in records], [])
    return [person_row(record, addresses.get(record.pk, [])) for record in records]


def rows_of(kind: str, records: Iterable) -> list[dict]:
    """The comparison columns of some records of `kind`."""
    if kind == EntityKind.PERSON:
        return person_rows(records)
    return [place_row(record) for record in records]


# The fields person_row and place_row read. A bulk run reads them as plain values, not model
# objects: building a million model instances took longer than comparing the pairs.
PERSON_FIELDS = (
    "pk",
    "organisation_id",
    "given_key",
    "given_name",
    "family_key",
    "family_name",
    "other_keys",
    "sex",
    "date_of_birth",
    "date_of_birth_precision",
    "chi_number",
)
PLACE_FIELDS = ("pk", "organisation_id", "uprn", "postcode", "address_line_1", "address_line_2")


def partnership_rows(*, partnership: Partnership, kind: str) -> list[dict]:
    """The comparison columns of every record of the partnership's member organisations, by
    record id."""
    organisation_ids = member_organisation_ids(partnership)
    if kind == EntityKind.PERSON:
        addresses = _addresses_by_person(None, organisation_ids)
        records = PersonRecord.objects.filter(organisation_id__in=organisation_ids).order_by("pk")
        return [
            person_row(SimpleNamespace(**fields), addresses.get(fields["pk"], []))
            for fields in records.values(*PERSON_FIELDS).iterator(5000)
        ]
    records = PlaceRecord.objects.filter(organisation_id__in=organisation_ids).order_by("pk")
    return [
        place_row(SimpleNamespace(**fields))
        for fields in records.values(*PLACE_FIELDS).iterator(5000)
    ]


def rows_table(kind: str, rows: list[dict]) -> pa.Table:
    """Comparison rows as a pyarrow table with the kind's schema."""
    columns = COLUMNS[kind]
    return pa.table(
        {
            name: pa.array([row[name] for row in rows], type=kind_type)
            for name, kind_type in columns.items()
        }
    )


def partnership_table(*, partnership: Partnership, kind: str) -> pa.Table:
    """The records of a partnership's member organisations as a pyarrow table of cleaned
    comparison columns (unique_id is the record's id)."""
    return rows_table(kind, partnership_rows(partnership=partnership, kind=kind))
