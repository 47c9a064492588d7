"""What referral pages show, so that templates hold no logic.

A referral at `personal` (to the referrer, the recipient, or a partner under a personal
protocol) shows everything: who it is about, the reason, the lawful basis and the whole
history. At `depersonalised` it shows what it is and where it stands, the subject as a
pseudonym, age band and data zone, and no free text at all: no reason, no outcome, no notes.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from saferhub.incidents.vocabulary import Category, PersonRole
from saferhub.partnerships.themes import ThemeBook
from saferhub.referrals.models import (
    ContactOutcome,
    LawfulBasis,
    Referral,
    ReferralEventKind,
    ReferralStatus,
    Urgency,
)
from saferhub.referrals.selectors import is_overdue
from saferhub.sharing.engine import Access
from saferhub.sharing.models import Level
from saferhub.sharing.pseudonyms import age_band, pseudonym
from saferhub.sharing.redaction import person_subject_key

URGENCY_TAG = {"red": "ds_tag--red", "amber": "ds_tag--orange", "green": "ds_tag--green"}
STATUS_TAG = {
    ReferralStatus.SENT: "ds_tag--blue",
    ReferralStatus.ACCEPTED: "ds_tag--teal",
    ReferralStatus.DECLINED: "ds_tag--grey",
    ReferralStatus.COMPLETED: "ds_tag--green",
    ReferralStatus.WITHDRAWN: "ds_tag--grey",
}


def when(value: datetime.datetime | None) -> str:
    return f"{timezone.localtime(value):%-d %B %Y, %H:%M}" if value else ""


def theme_names(referral: Referral, book: ThemeBook | None = None) -> str:
    book = book or ThemeBook.of(referral.partnership_id)
    return ", ".join(sorted(t.name for t in book.themes_in(referral.theme_mask)))


@dataclass
class ReferralRow:
    id: int
    sent_at: str
    due_at: str
    type: str
    themes: str
    other_side: str
    urgency: str
    urgency_tag: str
    status: str
    status_tag: str
    overdue: bool
    assigned_to: str


def referral_rows(referrals: list[Referral], *, side: str, now: datetime.datetime) -> list:
    """Rows of a queue. `side` names whose name goes in the other-side column: "owner" for
    received referrals, "recipient" for sent ones, "both" for referrals shared with the reader.
    No row holds free text or anything about the subject."""
    books: dict[int, ThemeBook] = {}
    rows = []
    for referral in referrals:
        book = books.setdefault(referral.partnership_id, ThemeBook.of(referral.partnership_id))
        other = {
            "owner": referral.owner.name,
            "recipient": referral.recipient.name,
        }.get(side, f"{referral.owner.name} to {referral.recipient.name}")
        rows.append(
            ReferralRow(
                id=referral.pk,
                sent_at=when(referral.sent_at),
                due_at=when(referral.due_at),
                type=referral.referral_type.name,
                themes=theme_names(referral, book),
                other_side=other,
                urgency=Urgency(referral.urgency).label,
                urgency_tag=URGENCY_TAG[referral.urgency],
                status=ReferralStatus(referral.status).label,
                status_tag=STATUS_TAG[referral.status],
                overdue=is_overdue(referral, now),
                assigned_to=str(referral.assigned_to) if referral.assigned_to else "",
            )
        )
    return rows


def _subject(referral: Referral, personal: bool) -> list[dict]:
    """Who and what the referral is about, as summary-list rows (label, value)."""
    code = referral.partnership.code
    on = timezone.localdate(referral.sent_at)
    rows = []
    person = referral.person_record
    if person is not None:
        if personal:
            name = " ".join(p for p in (person.given_name, person.family_name) if p)
            born = person.date_of_birth.strftime("%-d %B %Y") if person.date_of_birth else ""
            addresses = [
                f"{a.address}{', ' + a.postcode if a.postcode else ''}"
                for a in person.addresses.all()
            ]
            rows.append(("Person", name or "No name recorded"))
            rows.append(("Date of birth", born or "Not known"))
            rows.append(("Address", "; ".join(addresses) or "None recorded"))
            if person.phone:
                rows.append(("Phone", person.phone))
        else:
            rows.append(("Person", pseudonym(person_subject_key(code, person))))
            rows.append(("Age band", age_band(person.date_of_birth, on)))
    place = referral.place_record
    if place is not None:
        if personal:
            address = ", ".join(
                p
                for p in (place.address_line_1, place.address_line_2, place.town, place.postcode)
                if p
            )
            rows.append(("Place", address or "No address recorded"))
        rows.append(("Data zone", place.data_zone or "Not known"))
    incident = referral.incident
    if incident is not None:
        rows.append(
            ("Incident", f"{Category(incident.category).label}, {when(incident.occurred_at)}")
        )
        for involved in incident.people.all():
            role = PersonRole(involved.role).label
            if personal:
                name = " ".join(p for p in (involved.given_name, involved.family_name) if p)
                born = (
                    f", born {involved.date_of_birth:%-d %B %Y}" if involved.date_of_birth else ""
                )
                rows.append((role, f"{name or 'No name recorded'}{born}"))
            else:
                band = age_band(involved.date_of_birth, incident.occurred_at.date())
                rows.append((role, f"{pseudonym(person_subject_key(code, involved))}, {band}"))
        if personal and (incident.address or incident.postcode):
            rows.append(
                (
                    "Incident address",
                    ", ".join(p for p in (incident.address, incident.postcode) if p),
                )
            )
        if incident.data_zone:
            rows.append(("Incident data zone", incident.data_zone))
    return [{"label": label, "value": value} for label, value in rows]


def _basis(referral: Referral) -> list[dict]:
    basis = referral.lawful_basis
    rows = [("Lawful basis", LawfulBasis(basis).label)]
    if basis == LawfulBasis.PROTOCOL and referral.protocol:
        rows.append(
            (
                "Protocol",
                f"{referral.protocol.title} ({referral.protocol.code}, "
                f"version {referral.protocol.version})",
            )
        )
    if basis == LawfulBasis.CONSENT:
        how = dict(referral._meta.get_field("consent_given_how").choices)
        rows += [
            ("Consent given by", referral.consent_given_by),
            ("Consent given", when(referral.consent_given_at)),
            ("How", how.get(referral.consent_given_how, "")),
            ("Capacity", referral.consent_capacity_note),
        ]
        if referral.consent_withdrawn_at:
            rows.append(("Consent withdrawn", when(referral.consent_withdrawn_at)))
    if basis == LawfulBasis.VITAL_INTERESTS:
        rows.append(("Why", referral.vital_interests_reason))
    return [{"label": label, "value": value} for label, value in rows]


def _events(referral: Referral, personal: bool) -> list[dict]:
    outcomes = dict(ContactOutcome.choices)
    events = []
    for event in referral.events.all():
        events.append(
            {
                "kind": ReferralEventKind(event.kind).label,
                "at": when(event.at),
                "by": (str(event.by) + ", " if personal and event.by else "")
                + event.by_organisation.name,
                "outcome": outcomes.get(event.contact_outcome, ""),
                "detail": event.detail if personal else "",
            }
        )
    return events


def referral_page(referral: Referral, access: Access, now: datetime.datetime) -> dict:
    """The referral as `access` allows, with words for its codes."""
    if access.level not in (Level.PERSONAL, Level.DEPERSONALISED):
        raise ValueError(f"a referral at level {access.level!r} is not shown, only counted")
    personal = access.level == Level.PERSONAL
    page = {
        "id": referral.pk,
        "personal": personal,
        "type": referral.referral_type.name,
        "themes": theme_names(referral),
        "urgency": Urgency(referral.urgency).label,
        "urgency_tag": URGENCY_TAG[referral.urgency],
        "status": ReferralStatus(referral.status).label,
        "status_tag": STATUS_TAG[referral.status],
        "owner": referral.owner.name,
        "recipient": referral.recipient.name,
        "sent_at": when(referral.sent_at),
        "due_at": when(referral.due_at),
        "closed_at": when(referral.closed_at),
        "overdue": is_overdue(referral, now),
        "subject": _subject(referral, personal),
        "events": _events(referral, personal),
        "incident_id": referral.incident_id,
    }
    if personal:
        page.update(
            reason=referral.reason,
            basis=_basis(referral),
            assigned_to=str(referral.assigned_to) if referral.assigned_to else "",
            decline_reason=referral.decline_reason,
            outcome=referral.outcome,
            referred_by=str(referral.created_by) if referral.created_by else "",
        )
    return page


def subject_summary(*, person=None, place=None, incident=None) -> str:
    """One line naming what a new referral is about, for the referrer (their own records)."""
    if person is not None:
        name = " ".join(p for p in (person.given_name, person.family_name) if p)
        return f"{name or 'A person with no name recorded'} (your reference {person.source_ref})"
    if place is not None:
        address = ", ".join(p for p in (place.address_line_1, place.town, place.postcode) if p)
        return f"{address or 'A place'} (your reference {place.source_ref})"
    if incident is not None:
        return (
            f"Incident {incident.pk}: {Category(incident.category).label}, "
            f"{when(incident.occurred_at)}"
        )
    return ""
