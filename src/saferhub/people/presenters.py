"""What person record pages show, so that templates hold no logic.

At `personal` a record shows everything; at `depersonalised` it is a pseudonym, an age band
and a sex, and nothing else reaches the template (sharing.redaction makes the pseudonyms).
"""

import datetime
from dataclasses import dataclass

from saferhub.incidents.appearances import Appearance
from saferhub.incidents.vocabulary import Sex
from saferhub.people.models import DatePrecision, PersonRecord
from saferhub.sharing.engine import OWNER, Access
from saferhub.sharing.models import Level
from saferhub.sharing.pseudonyms import age_band, pseudonym
from saferhub.sharing.redaction import person_subject_key

FIELD_NAMES = {
    "source_ref": "Reference",
    "given_name": "Given name",
    "family_name": "Family name",
    "other_names": "Other names",
    "date_of_birth": "Date of birth",
    "date_of_birth_precision": "Date of birth",
    "sex": "Sex",
    "chi_number": "CHI number",
    "phone": "Phone",
    "email": "Email",
    "addresses": "Addresses",
}

THROUGH = {"web": "The hub's pages", "api": "The API"}


def date_of_birth_label(value: datetime.date | None, precision: str) -> str:
    """A partial date of birth as a person would say it: "12 March 1984", "March 1984", "1984"."""
    if value is None:
        return "Not known"
    if precision == DatePrecision.YEAR:
        return f"{value:%Y}"
    if precision == DatePrecision.MONTH:
        return f"{value:%B %Y}"
    return f"{value.day} {value:%B %Y}"


def _day_label(value: datetime.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def full_name(record: PersonRecord) -> str:
    return " ".join(part for part in (record.given_name, record.family_name) if part)


@dataclass
class PersonRow:
    id: int
    name: str
    other_names: str
    born: str
    sex: str
    chi_number: str
    held_by: str
    source_ref: str


def person_rows(records: list[PersonRecord]) -> list[PersonRow]:
    """Search results: records the reader may see in full (the search looks at no others)."""
    return [
        PersonRow(
            id=record.pk,
            name=full_name(record),
            other_names=", ".join(record.other_names),
            born=date_of_birth_label(record.date_of_birth, record.date_of_birth_precision),
            sex=Sex(record.sex).label,
            chi_number=record.chi_number,
            held_by=record.organisation.name,
            source_ref=record.source_ref,
        )
        for record in records
    ]


def why_record_shown(access: Access) -> str:
    """The 'Why can I see this?' answer for a person record."""
    if access.shared_under and access.shared_under.rule == OWNER:
        return "Your organisation holds this record."
    reason = "The person appears in an incident you may see."
    if access.shared_under:
        reason += f" {access.shared_under.in_words()}"
    if access.level == Level.DEPERSONALISED:
        reason += (
            " At the depersonalised level you see the person as a pseudonym, age band and sex."
        )
    return reason


def person_page(
    record: PersonRecord,
    access: Access,
    incident: Appearance | None,
    *,
    partnership_code: str,
    today: datetime.date,
) -> dict:
    """A person record as `access` allows. The pseudonym is the one the person has in the
    partnership of the incident that shows them, as on that incident's page."""
    if access.level not in (Level.PERSONAL, Level.DEPERSONALISED):
        raise ValueError(f"a person record at level {access.level!r} is not shown")
    code = incident.partnership.code if incident is not None else partnership_code
    page = {
        "id": record.pk,
        "personal": access.level == Level.PERSONAL,
        "held_by": record.organisation.name,
        "sex_label": Sex(record.sex).label,
        "age_band": age_band(record.date_of_birth, today),
        "why": why_record_shown(access),
    }
    if not page["personal"]:
        page["title"] = pseudonym(person_subject_key(code, record))
        return page
    page.update(
        title=full_name(record) or record.source_ref,
        given_name=record.given_name,
        family_name=record.family_name,
        other_names=", ".join(record.other_names),
        born=date_of_birth_label(record.date_of_birth, record.date_of_birth_precision),
        chi_number=record.chi_number,
        phone=record.phone,
        email=record.email,
        source_ref=record.source_ref,
        addresses=[
            {
                "address": a.address,
                "postcode": a.postcode,
                "lived_from": _day_label(a.lived_from),
                "lived_to": _day_label(a.lived_to),
            }
            for a in record.addresses.all()
        ],
    )
    return page


def revision_rows(
    revisions: list, current: dict, field_names: dict[str, str] = FIELD_NAMES
) -> list[dict]:
    """A record's history, newest first: when, by whom, how, and which fields changed (each
    revision holds the record as it was before; the next newer one, or the record now, as it
    was after). For person records and, with their field names, place records."""
    rows, after = [], current
    for revision in revisions:
        before = revision.before
        changed = dict.fromkeys(
            field_names.get(name, name)
            for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)
        )
        rows.append(
            {
                "changed_at": revision.changed_at,
                "changed_by": revision.changed_by.name if revision.changed_by else "",
                "changed_through": THROUGH.get(revision.changed_through, revision.changed_through),
                "changed": ", ".join(changed) or "Nothing",
            }
        )
        after = before
    return rows
