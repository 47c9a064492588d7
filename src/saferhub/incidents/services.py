"""Recording and changing incidents, and writing down who read them."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from saferhub.audit.services import Disclosure, audit_record, disclosure_under
from saferhub.incidents.models import Incident, IncidentPerson, IncidentRevision, RelevantPartner
from saferhub.incidents.selectors import access_of
from saferhub.incidents.vocabulary import VulnerabilityFlag
from saferhub.partnerships.models import Membership, Partnership, Role, RoleAssignment, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.sharing.engine import EMERGENCY, Access, Reader, SharedUnder
from saferhub.sharing.models import EmergencyDisclosure, EmergencyReview, Level
from saferhub.sharing.redaction import incident_subject_keys

EMERGENCY_HOURS = 24


class IncidentInvalid(Exception):
    """The incident cannot be stored; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class PersonInput:
    role: str
    given_name: str = ""
    family_name: str = ""
    date_of_birth: datetime.date | None = None
    sex: str = "unknown"
    # The owner's record of this person (saferhub.people), when one was picked or made.
    person_record_id: int | None = None


@dataclass
class IncidentInput:
    """An incident as typed in a form or sent to the API, already of the right types."""

    category: str
    themes: list[str]
    occurred_at: datetime.datetime
    reported_at: datetime.datetime | None = None
    risk: str = "green"
    source_ref: str | None = None
    address: str = ""
    postcode: str = ""
    data_zone: str = ""
    # The owner's record of the place (saferhub.places), when one was picked or made.
    place_record_id: int | None = None
    people: list[PersonInput] = field(default_factory=list)
    vulnerability_flags: list[str] = field(default_factory=list)
    narrative: str = ""
    relevant_partners: list[str] = field(default_factory=list)
    restricted: bool = False


def _check(partnership: Partnership, owner_id: int, data: IncidentInput, exclude_pk=None):
    """Domain checks beyond types; returns (themes, partners) or raises IncidentInvalid."""
    errors: dict[str, str] = {}
    themes = ThemeBook.of(partnership).by_code
    if not data.themes:
        errors["themes"] = "Choose at least one theme"
    unknown = [code for code in data.themes if code not in themes]
    if unknown:
        errors["themes"] = f"Unknown theme {', '.join(unknown)} in this partnership"
    members = {
        m.organisation.code: m.organisation
        for m in Membership.objects.filter(partnership=partnership).select_related("organisation")
    }
    outside = [code for code in data.relevant_partners if code not in members]
    if outside:
        errors["relevant_partners"] = (
            f"{', '.join(outside)} is not a member organisation of this partnership"
        )
    if data.restricted and not data.relevant_partners:
        errors["relevant_partners"] = (
            "A restricted incident needs at least one relevant partner, or only your "
            "organisation will ever see it; untick restricted if that is what you mean"
        )
    bad_flags = [f for f in data.vulnerability_flags if f not in VulnerabilityFlag.values]
    if bad_flags:
        errors["vulnerability_flags"] = f"Unknown vulnerability flag {', '.join(bad_flags)}"
    now = timezone.now()
    if data.occurred_at > now + datetime.timedelta(minutes=5):
        errors["occurred_at"] = "The incident cannot have happened in the future"
    reported = data.reported_at or now
    if data.reported_at and data.reported_at < data.occurred_at:
        errors["reported_at"] = "It cannot have been reported before it happened"
    for index, person in enumerate(data.people):
        if person.date_of_birth and person.date_of_birth > timezone.localdate():
            errors[f"people[{index}].date_of_birth"] = "The date of birth cannot be in the future"
    errors.update(_records_not_owned(owner_id, data))
    if data.source_ref:
        clash = Incident.objects.filter(owner_id=owner_id, source_ref=data.source_ref)
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["source_ref"] = _duplicate_reference(data.source_ref)
    if errors:
        raise IncidentInvalid(errors)
    return (
        sum(1 << themes[c].bit for c in set(data.themes)),
        [members[c] for c in dict.fromkeys(data.relevant_partners)],
        reported,
    )


def _records_not_owned(owner_id: int, data: IncidentInput) -> dict[str, str]:
    """An incident may point only at its owner's own person and place records: pointing at a
    partner's record would show it to everyone who may see the incident."""
    errors = {}
    person_ids = {p.person_record_id for p in data.people if p.person_record_id}
    owned = set(
        PersonRecord.objects.filter(pk__in=person_ids, organisation_id=owner_id).values_list(
            "pk", flat=True
        )
    )
    for index, person in enumerate(data.people):
        if person.person_record_id and person.person_record_id not in owned:
            errors[f"people[{index}].person_record"] = (
                "Choose a person from your own organisation's records"
            )
    if (
        data.place_record_id
        and not PlaceRecord.objects.filter(
            pk=data.place_record_id, organisation_id=owner_id
        ).exists()
    ):
        errors["place_record"] = "Choose a place from your own organisation's records"
    return errors


def _duplicate_reference(reference: str | None) -> str:
    return f"Your organisation already has an incident with reference {reference}"


@transaction.atomic
def incident_create(*, user: User, partnership: Partnership, data: IncidentInput) -> Incident:
    """Record an incident owned by the user's organisation; all or nothing."""
    if user.organisation_id is None:
        raise IncidentInvalid({"owner": "Your account has no organisation to own the incident"})
    theme_mask, partners, reported = _check(partnership, user.organisation_id, data)
    try:
        incident = Incident.objects.create(
            partnership=partnership,
            owner_id=user.organisation_id,
            created_by=user,
            source_ref=data.source_ref or None,
            category=data.category,
            theme_mask=theme_mask,
            occurred_at=data.occurred_at,
            reported_at=reported,
            address=data.address,
            postcode=data.postcode,
            data_zone=data.data_zone,
            vulnerability_flags=list(dict.fromkeys(data.vulnerability_flags)),
            narrative=data.narrative,
            risk=data.risk,
            restricted=data.restricted,
            place_record_id=data.place_record_id,
        )
    except IntegrityError:
        # Another request took the same reference between the check and the insert.
        raise IncidentInvalid({"source_ref": _duplicate_reference(data.source_ref)}) from None
    _store_links(incident, partners, data.people)
    return incident


def _store_links(incident: Incident, partners, people: list[PersonInput]) -> None:
    RelevantPartner.objects.bulk_create(
        RelevantPartner(incident=incident, organisation=o) for o in partners
    )
    IncidentPerson.objects.bulk_create(
        IncidentPerson(
            incident=incident,
            role=p.role,
            given_name=p.given_name,
            family_name=p.family_name,
            date_of_birth=p.date_of_birth,
            sex=p.sex,
            person_record_id=p.person_record_id,
        )
        for p in people
    )


REVISED_FIELDS = (
    "source_ref",
    "category",
    "theme_mask",
    "occurred_at",
    "reported_at",
    "address",
    "postcode",
    "data_zone",
    "place_record_id",
    "vulnerability_flags",
    "narrative",
    "risk",
    "restricted",
)


def incident_snapshot(incident: Incident) -> dict:
    """The incident's own fields as JSON, with its people and partners: what a revision keeps."""
    snapshot = {
        name: value.isoformat() if isinstance(value, datetime.datetime) else value
        for name in REVISED_FIELDS
        for value in [getattr(incident, name)]
    }
    snapshot["people"] = [
        {
            "role": p.role,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
            "sex": p.sex,
            "person_record_id": p.person_record_id,
        }
        for p in incident.people.order_by("pk")
    ]
    snapshot["relevant_partners"] = sorted(
        incident.relevant_partners.values_list("code", flat=True)
    )
    return snapshot


@transaction.atomic
def incident_update(
    *, user: User, incident: Incident, changes: dict, changed_through: str = "web"
) -> Incident:
    """Change fields of an incident the user's organisation owns (PermissionError if not).

    `changes` holds IncidentInput field names; lists (themes, people, relevant partners)
    replace what was there.
    """
    if incident.owner_id != user.organisation_id:
        raise PermissionError("Only the organisation that recorded an incident can change it")
    current = IncidentInput(
        category=incident.category,
        themes=[t.code for t in incident.theme_list()],
        occurred_at=incident.occurred_at,
        reported_at=incident.reported_at,
        risk=incident.risk,
        source_ref=incident.source_ref,
        address=incident.address,
        postcode=incident.postcode,
        data_zone=incident.data_zone,
        place_record_id=incident.place_record_id,
        people=[
            PersonInput(
                p.role, p.given_name, p.family_name, p.date_of_birth, p.sex, p.person_record_id
            )
            for p in incident.people.all()
        ],
        vulnerability_flags=list(incident.vulnerability_flags),
        narrative=incident.narrative,
        relevant_partners=[o.code for o in incident.relevant_partners.all()],
        restricted=incident.restricted,
    )
    for name, value in changes.items():
        setattr(current, name, value)
    theme_mask, partners, reported = _check(
        incident.partnership, incident.owner_id, current, exclude_pk=incident.pk
    )
    before = incident_snapshot(incident)
    for name in (
        "category",
        "occurred_at",
        "risk",
        "address",
        "postcode",
        "data_zone",
        "place_record_id",
        "vulnerability_flags",
        "narrative",
        "restricted",
    ):
        setattr(incident, name, getattr(current, name))
    incident.reported_at = reported
    incident.source_ref = current.source_ref or None
    incident.theme_mask = theme_mask
    incident._themes = None
    incident.save()
    incident.relevant_partner_links.all().delete()
    incident.people.all().delete()
    _store_links(incident, partners, current.people)
    if incident_snapshot(incident) != before:
        IncidentRevision.objects.create(
            incident=incident, before=before, changed_by=user, changed_through=changed_through
        )
    return incident


def _disclosure(incident: Incident, access: Access) -> Disclosure:
    """The audit trail's account of showing an incident at a level, and why."""
    return disclosure_under(
        access,
        record_type="incident",
        record_id=incident.pk,
        partnership_code=incident.partnership.code,
        owner_code=incident.owner.code,
        subjects=incident_subject_keys(incident),
    )


def disclosures_of(reader: Reader, incidents: Iterable[Incident]) -> list[Disclosure]:
    """What reading these incidents disclosed from other organisations (own records are not
    a disclosure)."""
    disclosures = []
    for incident in incidents:
        access = access_of(reader, incident)
        if incident.owner_id == reader.organisation_id or access.level not in (
            Level.PERSONAL,
            Level.DEPERSONALISED,
        ):
            continue
        disclosures.append(_disclosure(incident, access))
    return disclosures


def incident_reads_record(
    *, reader: Reader, incidents: Iterable[Incident], action: str = "read"
) -> None:
    """Write down, in the audit trail, each other organisation's incident the reader saw."""
    disclosures = disclosures_of(reader, incidents)
    if disclosures or action == "export":
        audit_record(
            actor=reader.user, action=action, purpose=reader.purpose, disclosures=disclosures
        )


class EmergencyRefused(Exception):
    pass


@transaction.atomic
def emergency_disclosure_create(
    *, reader: Reader, incident: Incident, reason: str, hours: int = EMERGENCY_HOURS
) -> EmergencyDisclosure:
    """Vital interests: give the reader personal access to one incident for a limited time,
    and put it in the review queue of the owner's data protection lead."""
    reason = reason.strip()
    if len(reason) < 20:
        raise EmergencyRefused(
            "Say why in at least 20 characters: who is at risk, of what, and why now"
        )
    if not 1 <= hours <= 72:
        raise EmergencyRefused("An emergency disclosure lasts between 1 and 72 hours")
    if incident.owner_id == reader.organisation_id:
        raise EmergencyRefused("Your organisation already sees its own records in full")
    now = timezone.now()
    disclosure = EmergencyDisclosure.objects.create(
        user=reader.user,
        incident=incident,
        reason=reason,
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=hours),
    )
    audit_record(
        actor=reader.user,
        action="emergency_disclosure",
        purpose=reader.purpose,
        disclosures=[_disclosure(incident, Access(Level.PERSONAL, SharedUnder(EMERGENCY)))],
        detail={"reason": reason, "hours": hours, "disclosure": disclosure.pk},
    )
    return disclosure


@transaction.atomic
def emergency_disclosure_review(
    *, user: User, disclosure: EmergencyDisclosure, approve: bool, note: str = ""
) -> EmergencyDisclosure:
    """The owner's data protection lead approves an emergency disclosure or flags it."""
    incident = disclosure.incident
    is_lead = RoleAssignment.objects.filter(
        user=user, partnership=incident.partnership, role=Role.DATA_PROTECTION_LEAD
    ).exists()
    if not is_lead or user.organisation_id != incident.owner_id:
        raise EmergencyRefused(
            "Only a data protection lead of the organisation that recorded the incident can "
            "review this disclosure"
        )
    if disclosure.review != EmergencyReview.PENDING:
        raise EmergencyRefused("This disclosure has already been reviewed")
    if not approve and not note.strip():
        raise EmergencyRefused("Say why you are flagging it, for the follow-up")
    disclosure.review = EmergencyReview.APPROVED if approve else EmergencyReview.FLAGGED
    disclosure.reviewed_by = user
    disclosure.reviewed_at = timezone.now()
    disclosure.review_note = note.strip()
    disclosure.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=user,
        action="emergency_review",
        purpose="",
        detail={
            "disclosure": disclosure.pk,
            "incident": disclosure.incident_id,
            "review": disclosure.review,
            "note": disclosure.review_note,
        },
    )
    return disclosure
