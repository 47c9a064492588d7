"""Showing a record at the level a reader may see it: the one place redaction happens.

Pages and the API both show records through these functions, so a depersonalised record
can never carry more on one surface than the other.
"""

from typing import Any

from saferhub.sharing.engine import Access
from saferhub.sharing.models import Level
from saferhub.sharing.pseudonyms import age_band, pseudonym, subject_key


def person_subject_key(partnership_code: str, person: Any) -> str:
    """The subject key of a person as recorded on a record (an IncidentPerson, say).

    Someone recorded with neither name nor date of birth gets a key of their own, so that
    unnamed people are never merged into one pseudonym.
    """
    if not (person.given_name or person.family_name or person.date_of_birth):
        return subject_key(
            partnership_code=partnership_code,
            given_name="",
            family_name=f"unnamed {type(person).__name__} {person.pk}",
            date_of_birth=None,
        )
    return subject_key(
        partnership_code=partnership_code,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
    )


def incident_as_seen(incident: Any, access: Access) -> dict[str, Any]:
    """An incident as `access` allows: everything at personal; at depersonalised, people
    as pseudonym, age band and sex, the place as its data zone, and no narrative."""
    if access.level not in (Level.PERSONAL, Level.DEPERSONALISED):
        raise ValueError(f"an incident at level {access.level!r} is not shown, only counted")
    personal = access.level == Level.PERSONAL
    partnership_code = incident.partnership.code
    on = incident.occurred_at.date()
    people = []
    for person in incident.people.all():
        seen = {
            "role": person.role,
            "pseudonym": pseudonym(person_subject_key(partnership_code, person)),
            "age_band": age_band(person.date_of_birth, on),
            "sex": person.sex,
            # The owner's record of the person: its page applies the same rules again.
            "record_id": person.person_record_id,
        }
        if personal:
            seen.update(
                given_name=person.given_name,
                family_name=person.family_name,
                date_of_birth=person.date_of_birth.isoformat() if person.date_of_birth else None,
            )
        people.append(seen)
    if personal:
        place = (
            {
                "address": incident.address,
                "postcode": incident.postcode,
                "data_zone": incident.data_zone,
            }
            if incident.address or incident.postcode or incident.data_zone
            else None
        )
    else:
        place = {"data_zone": incident.data_zone} if incident.data_zone else None
    if incident.place_record_id:
        place = {**(place or {}), "record_id": incident.place_record_id}
    seen_incident = {
        "id": incident.pk,
        "partnership": partnership_code,
        "owner": incident.owner.code,
        "category": incident.category,
        "themes": sorted(theme.code for theme in incident.theme_list()),
        "occurred_at": incident.occurred_at.isoformat(),
        "reported_at": incident.reported_at.isoformat(),
        "place": place,
        "people": people,
        "vulnerability_flags": list(incident.vulnerability_flags),
        "risk": incident.risk,
        "relevant_partners": sorted(o.code for o in incident.relevant_partners.all()),
        "restricted": incident.restricted,
        "access_level": access.level,
        "shared_under": access.shared_under.as_json() if access.shared_under else None,
    }
    if personal:
        seen_incident["source_ref"] = incident.source_ref
        seen_incident["narrative"] = incident.narrative
    return seen_incident


def incident_subject_keys(incident: Any) -> tuple[str, ...]:
    """Who an incident is about, for the audit trail's disclosure histories."""
    return tuple(
        sorted({person_subject_key(incident.partnership.code, p) for p in incident.people.all()})
    )
