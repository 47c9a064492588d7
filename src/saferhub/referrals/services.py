"""Sending referrals and working them: every change of state is one function here.

Each function takes the acting user, checks that their side of the referral may take the
step from the referral's current status, records a `ReferralEvent`, and emails the other side
a link (never personal data). Sending writes the disclosure to the audit trail in the same
transaction: a referral hands the subject's details to another organisation, and that
hand-over is recorded under the lawful basis it was sent on.
"""

import dataclasses
import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from saferhub.audit.services import Disclosure, audit_record, disclosure_under
from saferhub.hub.notifications import notify_by_email, partnership_users_of
from saferhub.incidents.models import Incident
from saferhub.partnerships.models import (
    ROLES_THAT_SEE_PERSONAL_DATA,
    Membership,
    Organisation,
    Partnership,
    Role,
    RoleAssignment,
    User,
)
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.referrals.models import (
    DEFAULT_DUE_HOURS,
    OPEN_STATUSES,
    ConsentGivenHow,
    ContactOutcome,
    LawfulBasis,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    ReferralType,
    Urgency,
    UrgencyDueTime,
)
from saferhub.referrals.selectors import referral_access
from saferhub.sharing import engine
from saferhub.sharing.models import Level, Protocol, Purpose
from saferhub.sharing.redaction import incident_subject_keys, person_subject_key
from saferhub.sharing.selectors import reader_for_organisation

STANDARD_TYPES = (
    ("home-fire-safety-visit", "Home fire safety visit"),
    ("mental-health-triage", "Mental health triage"),
    ("victim-support", "Victim support"),
    ("housing-support", "Housing support"),
    ("asb-warning-visit", "ASB warning visit"),
    ("joint-visit", "Joint visit"),
)

# Who in the receiving organisation hears that a referral is waiting.
QUEUE_ROLES = (Role.COORDINATOR, Role.PRACTITIONER)
VITAL_INTERESTS_MIN_LENGTH = 20
TEXT_LIMIT = 5000


class ReferralInvalid(Exception):
    """The referral cannot be sent or changed; `errors` maps each field to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class ReferralInput:
    """A referral as typed in the form, already of the right types.

    Organisations, types and themes by code; the subject as the referrer's own records.
    `protocol` is a protocol code; empty means "the best protocol that covers it".
    """

    recipient: str
    referral_type: str
    themes: list[str]
    urgency: str
    reason: str
    lawful_basis: str
    person_record_id: int | None = None
    place_record_id: int | None = None
    incident_id: int | None = None
    protocol: str = ""
    consent_given_by: str = ""
    consent_given_at: datetime.datetime | None = None
    consent_given_how: str = ""
    consent_capacity_note: str = ""
    vital_interests_reason: str = ""
    relevant_partners: list[str] = field(default_factory=list)


# Set-up ------------------------------------------------------------------------------------


def referral_types_ensure(partnership: Partnership) -> int:
    """Give a partnership the standard referral types unless it has types of its own;
    returns how many were made. Partnerships then rename, add or retire them in the admin."""
    if ReferralType.objects.filter(partnership=partnership).exists():
        return 0
    ReferralType.objects.bulk_create(
        ReferralType(partnership=partnership, code=code, name=name) for code, name in STANDARD_TYPES
    )
    return len(STANDARD_TYPES)


def due_hours(partnership: Partnership, urgency: str) -> int:
    """How many hours the receiving organisation has: the partnership's own figure for the
    urgency, else the hub's default (red 4 hours, amber 3 days, green 14 days)."""
    if urgency not in Urgency.values:
        raise ValueError(f"unknown urgency {urgency!r}")
    own = (
        UrgencyDueTime.objects.filter(partnership=partnership, urgency=urgency)
        .values_list("hours", flat=True)
        .first()
    )
    return own if own is not None else DEFAULT_DUE_HOURS[Urgency(urgency)]


def due_hours_by_urgency(partnership: Partnership) -> dict[str, int]:
    """Every urgency's due time in hours, for showing beside the choice."""
    return {urgency: due_hours(partnership, urgency) for urgency in Urgency.values}


def hours_in_words(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


# The lawful basis ---------------------------------------------------------------------------


def lawful_protocols(
    *,
    partnership: Partnership,
    sender: Organisation,
    recipient: Organisation,
    theme_mask: int,
    day: datetime.date,
) -> list[Protocol]:
    """The protocol versions that can carry this referral, best first.

    Asked of the sharing engine, not decided again here: a protocol carries the referral when
    the engine would show the recipient, at `personal` and for the `referral` purpose, a
    record the sender owns with these themes. That is: the partnership's protocol, active on
    `day`, signed by both, for referrals, covering every theme, at the personal level (a
    referral names the person, so a depersonalised protocol cannot carry it). The recipient
    is named on the referral, so a protocol for relevant partners only serves as well.
    """
    reader = reader_for_organisation(
        organisation=recipient, partnership=partnership, purpose=Purpose.REFERRAL, day=day
    )
    book = ThemeBook.of(partnership)
    theme_ids = {theme.pk for theme in book.themes_in(theme_mask)}
    carrying = []
    for terms in reader.protocols:
        alone = dataclasses.replace(reader, protocols=[terms])
        access = engine.decide(
            alone,
            partnership_id=partnership.pk,
            owner_id=sender.pk,
            theme_ids=theme_ids,
            restricted=False,
            relevant_partner_ids={recipient.pk},
        )
        if access.level == Level.PERSONAL:
            carrying.append(terms.id)
    by_id = Protocol.objects.in_bulk(carrying)
    return [by_id[pk] for pk in carrying]


def why_protocol_cannot_carry(
    *,
    protocol: Protocol,
    sender: Organisation,
    recipient: Organisation,
    theme_codes: list[str],
    day: datetime.date,
) -> str:
    """In words, the first reason a protocol cannot carry a referral (for the form; the
    decision itself is `lawful_protocols`)."""
    name = f"Protocol {protocol.code}"
    if not protocol.is_active_on(day):
        if protocol.effective_from > day:
            return f"{name} does not take effect until {protocol.effective_from:%-d %B %Y}"
        if protocol.expires_on and protocol.expires_on < day:
            return f"{name} expired on {protocol.expires_on:%-d %B %Y}"
        return f"{name} is {protocol.get_status_display().lower()}, not active"
    if not protocol.for_referral:
        return f"{name} is not for referrals"
    signed = set(protocol.signatories.values_list("pk", flat=True))
    for organisation in (sender, recipient):
        if organisation.pk not in signed:
            return f"{organisation.name} has not signed {name.lower()}"
    covered = set(protocol.themes.values_list("code", flat=True))
    book = ThemeBook.of(protocol.partnership_id)
    missing = [code for code in theme_codes if code not in covered]
    if missing:
        names = ", ".join(book.by_code[c].name if c in book.by_code else c for c in missing)
        return f"{name} does not cover the theme{'s' if len(missing) > 1 else ''} {names}"
    if protocol.level != Level.PERSONAL:
        return (
            f"{name} shares only {protocol.get_level_display().lower()} data, and a referral "
            "names the person"
        )
    return f"{name} cannot carry this referral"


def _no_protocol_reason(
    partnership: Partnership,
    sender: Organisation,
    recipient: Organisation,
    theme_codes: list[str],
    day: datetime.date,
) -> str:
    current = list(
        Protocol.objects.active_on(day).filter(partnership=partnership).order_by("code", "-version")
    )
    if not current:
        return (
            "Your partnership has no active protocol. Send it on the person's consent, or on "
            "vital interests if someone is at risk of serious harm"
        )
    reasons = [
        why_protocol_cannot_carry(
            protocol=p, sender=sender, recipient=recipient, theme_codes=theme_codes, day=day
        )
        for p in current
    ]
    return (
        "No protocol covers this referral: "
        + "; ".join(reasons)
        + ". Send it on the person's consent, or on vital interests if someone is at risk "
        "of serious harm"
    )


# Sending --------------------------------------------------------------------------------------


def _sees_people(user: User, partnership: Partnership) -> bool:
    return RoleAssignment.objects.filter(
        user=user, partnership=partnership, role__in=list(ROLES_THAT_SEE_PERSONAL_DATA)
    ).exists()


def _check_send(user: User, partnership: Partnership, data: ReferralInput, now):
    errors: dict[str, str] = {}
    sender = user.organisation
    if sender is None or not _sees_people(user, partnership):
        raise ReferralInvalid(
            {"recipient": "Only a practitioner or coordinator of a partner can send a referral"}
        )
    members = {
        m.organisation.code: m.organisation
        for m in Membership.objects.filter(partnership=partnership).select_related("organisation")
    }
    if sender.code not in members:
        raise ReferralInvalid(
            {"recipient": f"{sender.name} is not a member organisation of this partnership"}
        )
    recipient = members.get(data.recipient)
    if not data.recipient:
        errors["recipient"] = "Choose the organisation to refer to"
    elif recipient is None:
        errors["recipient"] = f"{data.recipient} is not a member organisation of this partnership"
    elif recipient.pk == sender.pk:
        errors["recipient"] = "Choose another organisation: you cannot refer to your own"
    referral_type = ReferralType.objects.filter(
        partnership=partnership, code=data.referral_type, active=True
    ).first()
    if referral_type is None:
        errors["referral_type"] = "Choose the type of referral"
    book = ThemeBook.of(partnership)
    themes = list(dict.fromkeys(data.themes))
    unknown = [code for code in themes if code not in book.by_code]
    if not themes:
        errors["themes"] = "Choose at least one theme"
    elif unknown:
        errors["themes"] = f"Unknown theme {', '.join(unknown)} in this partnership"
    if data.urgency not in Urgency.values:
        errors["urgency"] = "Choose how urgent it is"
    reason = data.reason.strip()
    if not reason:
        errors["reason"] = "Say why you are referring"
    elif len(reason) > TEXT_LIMIT:
        errors["reason"] = f"Keep the reason under {TEXT_LIMIT} characters"
    partners = list(dict.fromkeys(data.relevant_partners))
    if any(code not in members for code in partners):
        errors["relevant_partners"] = "Choose relevant partners from this partnership's members"
    errors.update(_check_subject(sender, partnership, data))
    if data.lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = "Choose the lawful basis for sharing"
    protocol = None
    if recipient is not None and recipient.pk != sender.pk and not unknown and themes:
        protocol, basis_errors = _check_basis(
            partnership, sender, recipient, themes, book.mask_of(themes), data, now
        )
        errors.update(basis_errors)
    elif data.lawful_basis != LawfulBasis.PROTOCOL:
        errors.update(_check_basis(partnership, sender, sender, [], 0, data, now)[1])
    if errors:
        raise ReferralInvalid(errors)
    return (
        recipient,
        referral_type,
        book.mask_of(themes),
        protocol,
        [members[c] for c in partners if c != sender.code],
    )


def _check_subject(sender: Organisation, partnership: Partnership, data: ReferralInput):
    """A referral points only at the referrer's own records: the referral discloses what they
    hold, never what a partner shared with them."""
    errors = {}
    if not (data.person_record_id or data.place_record_id or data.incident_id):
        errors["subject"] = "Start the referral from a person, a place or an incident"
    if (
        data.person_record_id
        and not PersonRecord.objects.filter(
            pk=data.person_record_id, organisation_id=sender.pk
        ).exists()
    ):
        errors["person_record"] = "Choose a person from your own organisation's records"
    if (
        data.place_record_id
        and not PlaceRecord.objects.filter(
            pk=data.place_record_id, organisation_id=sender.pk
        ).exists()
    ):
        errors["place_record"] = "Choose a place from your own organisation's records"
    if (
        data.incident_id
        and not Incident.objects.filter(
            pk=data.incident_id, owner_id=sender.pk, partnership=partnership
        ).exists()
    ):
        errors["incident"] = "Choose an incident your organisation recorded in this partnership"
    return errors


def _check_basis(partnership, sender, recipient, themes, mask, data: ReferralInput, now):
    errors: dict[str, str] = {}
    protocol = None
    if data.lawful_basis == LawfulBasis.PROTOCOL:
        day = timezone.localdate(now)
        carrying = lawful_protocols(
            partnership=partnership, sender=sender, recipient=recipient, theme_mask=mask, day=day
        )
        if data.protocol:
            protocol = next((p for p in carrying if p.code == data.protocol), None)
            if protocol is None:
                chosen = (
                    Protocol.objects.filter(partnership=partnership, code=data.protocol)
                    .order_by("-version")
                    .first()
                )
                errors["protocol"] = (
                    why_protocol_cannot_carry(
                        protocol=chosen,
                        sender=sender,
                        recipient=recipient,
                        theme_codes=themes,
                        day=day,
                    )
                    if chosen
                    else f"This partnership has no protocol {data.protocol}"
                )
        elif carrying:
            protocol = carrying[0]
        else:
            errors["protocol"] = _no_protocol_reason(partnership, sender, recipient, themes, day)
    elif data.lawful_basis == LawfulBasis.CONSENT:
        if not data.consent_given_by.strip():
            errors["consent_given_by"] = "Say who gave consent"
        if data.consent_given_at is None:
            errors["consent_given_at"] = "Enter when consent was given"
        elif data.consent_given_at > now + datetime.timedelta(minutes=5):
            errors["consent_given_at"] = "Consent cannot have been given in the future"
        if data.consent_given_how not in ConsentGivenHow.values:
            errors["consent_given_how"] = "Choose how consent was given"
        if not data.consent_capacity_note.strip():
            errors["consent_capacity_note"] = (
                "Note whether the person had capacity to consent, and how you judged it"
            )
    elif (
        data.lawful_basis == LawfulBasis.VITAL_INTERESTS
        and len(data.vital_interests_reason.strip()) < VITAL_INTERESTS_MIN_LENGTH
    ):
        errors["vital_interests_reason"] = (
            "Say who is at risk of serious harm and why, in at least 20 characters"
        )
    return protocol, errors


def referral_subject_keys(referral: Referral) -> tuple[str, ...]:
    """Who a referral is about, for the audit trail's disclosure histories."""
    code = referral.partnership.code
    keys = set()
    if referral.person_record_id:
        keys.add(person_subject_key(code, referral.person_record))
    if referral.incident_id:
        keys.update(incident_subject_keys(referral.incident))
    return tuple(sorted(keys))


@transaction.atomic
def referral_send(
    *,
    user: User,
    partnership: Partnership,
    data: ReferralInput,
    now: datetime.datetime | None = None,
) -> Referral:
    """Send a referral from the user's organisation; all or nothing.

    Due `due_hours` after sending. The disclosure to the recipient is written to the audit
    trail under the lawful basis, and the recipient's coordinators and practitioners are
    emailed a link.
    """
    now = now or timezone.now()
    recipient, referral_type, mask, protocol, partners = _check_send(user, partnership, data, now)
    basis = data.lawful_basis
    consent = basis == LawfulBasis.CONSENT
    referral = Referral.objects.create(
        partnership=partnership,
        owner_id=user.organisation_id,
        recipient=recipient,
        created_by=user,
        referral_type=referral_type,
        theme_mask=mask,
        urgency=data.urgency,
        reason=data.reason.strip(),
        person_record_id=data.person_record_id,
        place_record_id=data.place_record_id,
        incident_id=data.incident_id,
        lawful_basis=basis,
        protocol=protocol,
        consent_given_by=data.consent_given_by.strip() if consent else "",
        consent_given_at=data.consent_given_at if consent else None,
        consent_given_how=data.consent_given_how if consent else "",
        consent_capacity_note=data.consent_capacity_note.strip() if consent else "",
        vital_interests_reason=(
            data.vital_interests_reason.strip() if basis == LawfulBasis.VITAL_INTERESTS else ""
        ),
        sent_at=now,
        due_at=now + datetime.timedelta(hours=due_hours(partnership, data.urgency)),
    )
    referral.relevant_partners.set(partners)
    _event(referral, ReferralEventKind.SENT, user, now)
    audit_record(
        actor=user,
        action="referral_sent",
        purpose=Purpose.REFERRAL,
        disclosures=[
            Disclosure(
                record_type="referral",
                record_id=referral.pk,
                partnership_code=partnership.code,
                owner_code=user.organisation.code,
                level=Level.PERSONAL,
                basis=basis,
                protocol_code=protocol.code if protocol else "",
                protocol_version=protocol.version if protocol else None,
                subjects=referral_subject_keys(referral),
            )
        ],
        detail={
            "recipient": recipient.code,
            "person_record": data.person_record_id,
            "place_record": data.place_record_id,
            "incident": data.incident_id,
        },
    )
    _notify(
        referral,
        partnership_users_of(
            organisation_id=recipient.pk, partnership_id=partnership.pk, roles=QUEUE_ROLES
        ),
        f"New referral {referral.pk} for {recipient.name}",
        f"{user.organisation.name} has sent your organisation a referral.",
    )
    return referral


# Working a referral ---------------------------------------------------------------------------

RECEIVING = "receiving"
REFERRING = "referring"


def _side(user: User, referral: Referral) -> str | None:
    if not _sees_people(user, referral.partnership):
        return None
    if user.organisation_id == referral.recipient_id:
        return RECEIVING
    if user.organisation_id == referral.owner_id:
        return REFERRING
    return None


def _require(user: User, referral: Referral, side: str, statuses, doing: str) -> None:
    """Refuse a step taken by the wrong side, or from a status it cannot follow."""
    if _side(user, referral) != side:
        who = "the organisation it was sent to" if side == RECEIVING else "the referrer"
        raise ReferralInvalid({"referral": f"Only {who} can {doing}"})
    if referral.status not in statuses:
        where = _WHERE_IT_STANDS[referral.status]
        raise ReferralInvalid({"referral": f"This referral is {where}, so you cannot {doing} now"})


_WHERE_IT_STANDS = {
    ReferralStatus.SENT: "waiting to be accepted",
    ReferralStatus.ACCEPTED: "already accepted",
    ReferralStatus.DECLINED: "declined",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.WITHDRAWN: "withdrawn",
}


def _text(value: str, field: str, missing: str) -> str:
    text = value.strip()
    if not text:
        raise ReferralInvalid({field: missing})
    if len(text) > TEXT_LIMIT:
        raise ReferralInvalid({field: f"Keep it under {TEXT_LIMIT} characters"})
    return text


def _event(referral: Referral, kind: str, user: User, at, **fields) -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        kind=kind,
        at=at,
        by=user,
        by_organisation_id=user.organisation_id,
        **fields,
    )


def _detail_path(referral: Referral) -> str:
    return reverse(
        "referrals:detail",
        kwargs={"partnership_code": referral.partnership.code, "referral_id": referral.pk},
    )


def _notify(referral: Referral, users, subject: str, message: str) -> int:
    path = _detail_path(referral)
    return notify_by_email(users=users, subject=subject, message=message, path=path)


def _tell_referrer(referral: Referral, what: str) -> int:
    """Email the person who sent it, or the referring organisation's coordinators if they
    have gone."""
    users = [referral.created_by] if referral.created_by and referral.created_by.is_active else []
    if not users:
        users = partnership_users_of(
            organisation_id=referral.owner_id,
            partnership_id=referral.partnership_id,
            roles=[Role.COORDINATOR],
        )
    return _notify(referral, users, f"Referral {referral.pk} {what}", f"The referral {what}.")


def _tell_recipient(referral: Referral, what: str) -> int:
    users = list(
        partnership_users_of(
            organisation_id=referral.recipient_id,
            partnership_id=referral.partnership_id,
            roles=QUEUE_ROLES,
        )
    )
    if referral.assigned_to and referral.assigned_to.is_active:
        users.append(referral.assigned_to)
    return _notify(referral, users, f"Referral {referral.pk} {what}", f"The referral {what}.")


def _locked(referral: Referral) -> Referral:
    """The referral re-read under a row lock, so two people acting at once cannot both move
    it from the same status."""
    fresh = Referral.objects.select_for_update().get(pk=referral.pk)
    referral.__dict__.update({k: v for k, v in fresh.__dict__.items() if not k.startswith("_")})
    return referral


def _close(
    referral: Referral,
    user: User,
    now: datetime.datetime,
    status: str,
    kind: str,
    *,
    detail: str,
    **fields: str,
) -> None:
    """Move a referral to a final status: stamp when it closed, keep what was said about why
    (`fields`, such as the outcome), and write the event that says who closed it."""
    referral.status = status
    referral.closed_at = now
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save(update_fields=["status", *fields, "closed_at", "updated_at"])
    _event(referral, kind, user, now, detail=detail)


@transaction.atomic
def referral_accept(
    *, user: User, referral: Referral, now: datetime.datetime | None = None
) -> Referral:
    """The receiving organisation takes the referral on."""
    now = now or timezone.now()
    _locked(referral)
    _require(user, referral, RECEIVING, (ReferralStatus.SENT,), "accept it")
    referral.status = ReferralStatus.ACCEPTED
    referral.save(update_fields=["status", "updated_at"])
    _event(referral, ReferralEventKind.ACCEPTED, user, now)
    _tell_referrer(referral, "has been accepted")
    return referral


@transaction.atomic
def referral_decline(
    *, user: User, referral: Referral, reason: str, now: datetime.datetime | None = None
) -> Referral:
    """The receiving organisation will not take it on, and says why."""
    now = now or timezone.now()
    _locked(referral)
    _require(user, referral, RECEIVING, (ReferralStatus.SENT,), "decline it")
    reason = _text(reason, "reason", "Say why you are declining the referral")
    _close(
        referral,
        user,
        now,
        ReferralStatus.DECLINED,
        ReferralEventKind.DECLINED,
        detail=reason,
        decline_reason=reason,
    )
    _tell_referrer(referral, "has been declined")
    return referral


@transaction.atomic
def referral_assign(
    *, user: User, referral: Referral, to_user: User, now: datetime.datetime | None = None
) -> Referral:
    """Give an open referral to someone in the receiving organisation."""
    now = now or timezone.now()
    _locked(referral)
    _require(user, referral, RECEIVING, OPEN_STATUSES, "assign it")
    if (
        to_user.organisation_id != referral.recipient_id
        or not to_user.is_active
        or not _sees_people(to_user, referral.partnership)
    ):
        raise ReferralInvalid(
            {"assign_to": "Choose someone in your organisation who works in this partnership"}
        )
    referral.assigned_to = to_user
    referral.save(update_fields=["assigned_to", "updated_at"])
    _event(referral, ReferralEventKind.ASSIGNED, user, now, detail=f"Assigned to {to_user}")
    if to_user.pk != user.pk:
        _notify(
            referral,
            [to_user],
            f"Referral {referral.pk} has been assigned to you",
            f"Referral {referral.pk} has been assigned to you.",
        )
    _tell_referrer(referral, "has been assigned to a worker")
    return referral


@transaction.atomic
def referral_contact_attempt(
    *,
    user: User,
    referral: Referral,
    outcome: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> ReferralEvent:
    """Record one attempt to reach the person (a call, a visit), and how it went."""
    now = now or timezone.now()
    _locked(referral)
    _require(user, referral, RECEIVING, (ReferralStatus.ACCEPTED,), "record a contact attempt")
    if outcome not in ContactOutcome.values:
        raise ReferralInvalid({"contact_outcome": "Choose how the contact attempt went"})
    if len(note) > TEXT_LIMIT:
        raise ReferralInvalid({"note": f"Keep the note under {TEXT_LIMIT} characters"})
    event = _event(
        referral,
        ReferralEventKind.CONTACT_ATTEMPT,
        user,
        now,
        contact_outcome=outcome,
        detail=note.strip(),
    )
    referral.save(update_fields=["updated_at"])
    _tell_referrer(referral, "has a new contact attempt recorded")
    return event


@transaction.atomic
def referral_complete(
    *, user: User, referral: Referral, outcome: str, now: datetime.datetime | None = None
) -> Referral:
    """The receiving organisation has done what it can, and records the outcome."""
    now = now or timezone.now()
    _locked(referral)
    _require(user, referral, RECEIVING, (ReferralStatus.ACCEPTED,), "complete it")
    outcome = _text(outcome, "outcome", "Say what the outcome was")
    _close(
        referral,
        user,
        now,
        ReferralStatus.COMPLETED,
        ReferralEventKind.COMPLETED,
        detail=outcome,
        outcome=outcome,
    )
    _tell_referrer(referral, "has been completed")
    return referral


@transaction.atomic
def referral_withdraw(
    *, user: User, referral: Referral, reason: str, now: datetime.datetime | None = None
) -> Referral:
    """The referrer takes back a referral that is still open."""
    now = now or timezone.now()
    _locked(referral)
    _require(user, referral, REFERRING, OPEN_STATUSES, "withdraw it")
    reason = _text(reason, "reason", "Say why you are withdrawing the referral")
    _close(
        referral, user, now, ReferralStatus.WITHDRAWN, ReferralEventKind.WITHDRAWN, detail=reason
    )
    _tell_recipient(referral, "has been withdrawn by the referrer")
    return referral


@transaction.atomic
def referral_consent_withdrawn(
    *,
    user: User,
    referral: Referral,
    at: datetime.datetime,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Referral:
    """The person withdrew the consent the referral was sent on.

    Either side may record it (the person may tell either). With its lawful basis gone, an
    open referral is withdrawn: nobody may go on working it.
    """
    now = now or timezone.now()
    _locked(referral)
    if _side(user, referral) is None:
        raise ReferralInvalid(
            {"referral": "Only the referrer or the organisation it was sent to can record this"}
        )
    if referral.lawful_basis != LawfulBasis.CONSENT:
        raise ReferralInvalid({"referral": "This referral was not sent on consent"})
    if referral.consent_withdrawn_at is not None:
        raise ReferralInvalid({"referral": "Withdrawal of consent is already recorded"})
    if at is None:
        raise ReferralInvalid({"at": "Enter when consent was withdrawn"})
    if at > now + datetime.timedelta(minutes=5):
        raise ReferralInvalid({"at": "Consent cannot have been withdrawn in the future"})
    if referral.consent_given_at and at < referral.consent_given_at:
        raise ReferralInvalid({"at": "Consent cannot have been withdrawn before it was given"})
    if len(note) > TEXT_LIMIT:
        raise ReferralInvalid({"note": f"Keep the note under {TEXT_LIMIT} characters"})
    referral.consent_withdrawn_at = at
    fields = ["consent_withdrawn_at", "updated_at"]
    if referral.is_open:
        referral.status = ReferralStatus.WITHDRAWN
        referral.closed_at = now
        fields += ["status", "closed_at"]
    referral.save(update_fields=fields)
    _event(referral, ReferralEventKind.CONSENT_WITHDRAWN, user, now, detail=note.strip())
    what = "has had consent withdrawn"
    if _side(user, referral) == RECEIVING:
        _tell_referrer(referral, what)
    else:
        _tell_recipient(referral, what)
    return referral


def allowed_steps(user: User, referral: Referral) -> list[str]:
    """The steps the user may take now, by name (`accept`, `decline`, ...)."""
    side = _side(user, referral)
    status = referral.status
    steps = []
    if side == RECEIVING:
        if status == ReferralStatus.SENT:
            steps += ["accept", "decline"]
        if status in OPEN_STATUSES:
            steps.append("assign")
        if status == ReferralStatus.ACCEPTED:
            steps += ["contact", "complete"]
    if side == REFERRING and status in OPEN_STATUSES:
        steps.append("withdraw")
    if (
        side is not None
        and referral.lawful_basis == LawfulBasis.CONSENT
        and referral.consent_withdrawn_at is None
    ):
        steps.append("consent_withdrawn")
    return steps


def referral_reads_record(*, reader: engine.Reader, referrals: list[Referral]) -> None:
    """Write down, in the audit trail, each other organisation's referral the reader saw (the
    recipient's reads too: the referral is the referrer's record)."""
    disclosures = []
    for referral in referrals:
        access = referral_access(reader, referral)
        if referral.owner_id == reader.organisation_id or access.level not in (
            Level.PERSONAL,
            Level.DEPERSONALISED,
        ):
            continue
        disclosures.append(
            disclosure_under(
                access,
                record_type="referral",
                record_id=referral.pk,
                partnership_code=referral.partnership.code,
                owner_code=referral.owner.code,
                subjects=referral_subject_keys(referral),
            )
        )
    if disclosures:
        audit_record(
            actor=reader.user, action="read", purpose=reader.purpose, disclosures=disclosures
        )
