"""Recording an incident from the web form: the people and the place it is about are the
organisation's own records, picked from those it holds or added as new ones.

The form warns before adding a person who looks like one the organisation already holds
(the same folded names, either way round, and a date of birth that could be the same); full
linkage of records across partners is the linkage module's work.
"""

import uuid
from dataclasses import replace

from django.db import transaction

from saferhub.incidents.models import Incident
from saferhub.incidents.services import IncidentInput, IncidentInvalid, incident_create
from saferhub.partnerships.models import Partnership, User
from saferhub.people.models import PersonRecord
from saferhub.people.presenters import person_rows
from saferhub.people.selectors import (
    people_already_known,
    person_choices,
    person_records_visible_to,
)
from saferhub.people.services import PersonRecordInvalid, person_record_create
from saferhub.places.models import PlaceRecord
from saferhub.places.presenters import place_rows
from saferhub.places.selectors import place_choices, place_records_visible_to
from saferhub.places.services import PlaceRecordInvalid, place_record_create
from saferhub.sharing.engine import Reader
from saferhub.sharing.models import Level


def hub_reference() -> str:
    """A reference for a record added in the hub rather than imported from a partner's own
    system (imports use the partner's reference)."""
    return f"HUB-{uuid.uuid4().hex[:12].upper()}"


def people_who_look_known(
    *, reader: Reader, data: IncidentInput, confirmed_new: set[int]
) -> dict[int, list[PersonRecord]]:
    """For each new person in the form (by position) that the user has not confirmed as
    someone new, the records of their own organisation that look like the same person."""
    warnings = {}
    for index, person in enumerate(data.people):
        if person.person_record_id or index in confirmed_new:
            continue
        if not (person.given_name or person.family_name):
            continue
        known = people_already_known(
            reader=reader,
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
        )
        if known:
            warnings[index] = known
    return warnings


@transaction.atomic
def incident_record_with_records(
    *, user: User, partnership: Partnership, data: IncidentInput
) -> Incident:
    """Record the incident, first adding a person record for each person not picked from the
    organisation's records and a place record for an address not picked; all or nothing.
    A picked record fills in what the form left blank about the person or place."""
    organisation = user.organisation
    if organisation is None:
        raise IncidentInvalid({"owner": "Your account has no organisation to own the incident"})
    people = []
    errors: dict[str, str] = {}
    for index, person in enumerate(data.people):
        if person.person_record_id:
            chosen = PersonRecord.objects.filter(
                pk=person.person_record_id, organisation=organisation
            ).first()
            if chosen is not None:
                person = replace(
                    person,
                    given_name=person.given_name or chosen.given_name,
                    family_name=person.family_name or chosen.family_name,
                    date_of_birth=person.date_of_birth or chosen.date_of_birth,
                    sex=chosen.sex if person.sex == "unknown" else person.sex,
                )
        elif person.given_name or person.family_name:
            try:
                created = person_record_create(
                    user=user,
                    organisation=organisation,
                    data={
                        "source_ref": hub_reference(),
                        "given_name": person.given_name,
                        "family_name": person.family_name,
                        "date_of_birth": person.date_of_birth,
                        "sex": person.sex,
                    },
                )
            except PersonRecordInvalid as exc:
                for field, message in exc.errors.items():
                    errors[f"people[{index}].{field}"] = message
                continue
            person = replace(person, person_record_id=created.pk)
        people.append(person)
    place_record_id = data.place_record_id
    address, postcode, data_zone = data.address, data.postcode, data.data_zone
    if place_record_id:
        chosen_place = PlaceRecord.objects.filter(
            pk=place_record_id, organisation=organisation
        ).first()
        if chosen_place is not None:
            address = address or ", ".join(
                p for p in (chosen_place.address_line_1, chosen_place.address_line_2) if p
            )
            postcode = postcode or chosen_place.postcode
            data_zone = data_zone or chosen_place.data_zone
    elif data.address or data.postcode:
        try:
            place = place_record_create(
                user=user,
                organisation=organisation,
                data={
                    "source_ref": hub_reference(),
                    "address_line_1": data.address,
                    "postcode": data.postcode,
                },
            )
        except PlaceRecordInvalid as exc:
            for field, message in exc.errors.items():
                errors["postcode" if field == "postcode" else "address"] = message
        else:
            place_record_id = place.pk
            postcode = place.postcode or postcode
            data_zone = data_zone or place.data_zone
    if errors:
        raise IncidentInvalid(errors)
    return incident_create(
        user=user,
        partnership=partnership,
        data=replace(
            data,
            people=people,
            place_record_id=place_record_id,
            address=address,
            postcode=postcode,
            data_zone=data_zone,
        ),
    )


def _chosen_id(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _options(rows, chosen: int | None, label) -> list[tuple[int, str, bool]]:
    seen: dict[int, tuple[int, str, bool]] = {}
    for row in rows:
        seen.setdefault(row.id, (row.id, label(row), row.id == chosen))
    return list(seen.values())


def intake_choices(reader: Reader, form, people, known: dict[int, list[PersonRecord]]) -> None:
    """Give the form what its pickers offer: for each person, the organisation's records that
    match what was typed in Find, the one already chosen and any that look like the person
    being added (`known`, by position among the people named); for the place, likewise.
    Only the reader's own organisation's records, read through the sharing engine."""
    organisation_id = reader.organisation_id
    named = 0
    for person in people:
        text = (person["find"].value() or "").strip()
        chosen = _chosen_id(person["person_record"].value())
        records = (
            person_choices(reader=reader, organisation_id=organisation_id, text=text)
            if text
            else []
        )
        if chosen:
            records += person_records_visible_to(reader=reader, at_least=Level.PERSONAL).filter(
                pk=chosen, organisation_id=organisation_id
            )
        is_named = bool(getattr(person, "cleaned_data", None) and person.cleaned_data.get("role"))
        look_alikes = known.get(named, []) if is_named else []
        named += is_named
        person.known = person_rows(look_alikes)
        if look_alikes:
            person.add_error(
                "is_new",
                "You may already hold this person: choose them from the list, or tick "
                "'This is someone new'",
            )
        person.record_options = _options(
            person_rows([*records, *look_alikes]),
            chosen,
            lambda row: f"{row.name or 'No name recorded'}, born {row.born} ({row.source_ref})",
        )
    text = (form["place_find"].value() or "").strip()
    chosen = _chosen_id(form["place_record"].value())
    places = []
    if text:
        places = place_choices(reader=reader, organisation_id=organisation_id, text=text)
    if chosen:
        places += place_records_visible_to(reader=reader, at_least=Level.PERSONAL).filter(
            pk=chosen, organisation_id=organisation_id
        )
    form.place_options = _options(
        place_rows(places),
        chosen,
        lambda row: f"{row.address or 'No address recorded'} ({row.source_ref})",
    )
