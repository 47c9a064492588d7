"""Demo referrals: a dozen between the demo partners, in every state a queue shows.

Made through the same services as a real referral (so each is checked, audited and has its
history), from the partnership's own demo incidents: most on a protocol that carries them,
one on consent, one on vital interests, one red referral overdue.
"""

import datetime
import random

from django.db import transaction

from saferhub.incidents.models import Incident
from saferhub.partnerships.models import Organisation, Partnership, Role, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.referrals.models import Referral
from saferhub.referrals.services import (
    ReferralInput,
    lawful_protocols,
    referral_accept,
    referral_assign,
    referral_complete,
    referral_contact_attempt,
    referral_decline,
    referral_send,
    referral_types_ensure,
    referral_withdraw,
)

# The type of referral each kind of partner usually receives.
TYPE_FOR_KIND = {
    "fire": "home-fire-safety-visit",
    "nhs": "mental-health-triage",
    "third_sector": "victim-support",
    "housing": "housing-support",
    "local_authority": "asb-warning-visit",
    "police": "joint-visit",
}

REASONS = [
    "Lives alone, smokes, and the hallway is blocked with papers; no working alarm seen.",
    "Repeat calls about noise and threats; the tenant says she is frightened to go out.",
    "Seen twice this week confused and without a coat late at night; family out of area.",
    "Neighbour dispute escalating; children in the house; asks for a joint visit.",
    "Victim of a third incident this month; would like someone to talk to.",
    "Drug paraphernalia at the door and visitors at all hours; possible cuckooing.",
]

# The states the dozen referrals end in, in the order they are made.
PLAN = [
    "sent",
    "sent",
    "overdue_red",
    "assigned",
    "contacted",
    "contacted",
    "declined",
    "completed",
    "completed",
    "withdrawn",
    "consent",
    "vital_interests",
]


def _workers(partnership: Partnership) -> dict[int, User]:
    """One person per organisation who can send and work referrals (demo personas first)."""
    users = (
        User.objects.filter(
            is_active=True,
            organisation__isnull=False,
            role_assignments__partnership=partnership,
            role_assignments__role__in=[Role.PRACTITIONER, Role.COORDINATOR],
        )
        .distinct()
        .order_by("username")
    )
    chosen: dict[int, User] = {}
    for user in users:
        current = chosen.get(user.organisation_id)
        if current is None or (
            user.username.startswith("demo.") and not current.username.startswith("demo.")
        ):
            chosen[user.organisation_id] = user
    return chosen


@transaction.atomic
def demo_referrals_load(*, partnership: Partnership, seed: int, now: datetime.datetime) -> int:
    """Make the partnership's demo referrals unless it has referrals already; return how many.

    Needs demo incidents and at least two organisations with a practitioner or coordinator;
    without them it makes none.
    """
    if Referral.objects.filter(partnership=partnership).exists():
        return 0
    referral_types_ensure(partnership)
    workers = _workers(partnership)
    if len(workers) < 2:
        return 0
    rng = random.Random(f"{seed}-{partnership.code}-referrals")
    organisations = Organisation.objects.in_bulk(list(workers))
    book = ThemeBook.of(partnership)
    incidents = list(
        Incident.objects.filter(
            partnership=partnership,
            owner_id__in=list(workers),
            restricted=False,
            occurred_at__lte=now - datetime.timedelta(days=10),
        ).order_by("-occurred_at", "-pk")[:400]
    )
    rng.shuffle(incidents)
    carried, uncarried = _pairs(partnership, incidents, organisations, book, now)
    made, used = 0, set()
    for number, state in enumerate(PLAN):
        pool = uncarried if state in ("consent", "vital_interests") else carried
        pool = [pair for pair in pool if pair[0].pk not in used] or [
            pair for pair in carried + uncarried if pair[0].pk not in used
        ]
        if not pool:
            break
        incident, recipient, protocol_code = pool[number % len(pool)]
        used.add(incident.pk)
        _make(
            state,
            rng=rng,
            partnership=partnership,
            incident=incident,
            sender=workers[incident.owner_id],
            recipient=recipient,
            receiver=workers[recipient.pk],
            protocol_code=protocol_code,
            themes=[t.code for t in book.themes_in(incident.theme_mask)],
            now=now,
        )
        made += 1
    return made


def _pairs(partnership, incidents, organisations, book, now):
    """(incident, recipient, protocol code) pairs a protocol carries, and pairs none does."""
    carried, uncarried, seen = [], [], {}
    day = now.date()
    for incident in incidents:
        for recipient in organisations.values():
            if recipient.pk == incident.owner_id:
                continue
            key = (incident.owner_id, recipient.pk, incident.theme_mask)
            if key not in seen:
                found = lawful_protocols(
                    partnership=partnership,
                    sender=organisations[incident.owner_id],
                    recipient=recipient,
                    theme_mask=incident.theme_mask,
                    day=day,
                )
                seen[key] = found[0].code if found else ""
            target = carried if seen[key] else uncarried
            if len(target) < 60:
                target.append((incident, recipient, seen[key]))
        if len(carried) >= 60 and len(uncarried) >= 60:
            break
    return carried, uncarried


def _make(
    state: str,
    *,
    rng: random.Random,
    partnership: Partnership,
    incident: Incident,
    sender: User,
    recipient: Organisation,
    receiver: User,
    protocol_code: str,
    themes: list[str],
    now: datetime.datetime,
) -> Referral:
    hour = datetime.timedelta(hours=1)
    sent_at = now - (6 * hour if state == "overdue_red" else rng.randint(30, 200) * hour)
    urgency = "red" if state == "overdue_red" else rng.choice(["green", "green", "amber"])
    if state in ("sent", "assigned", "contacted", "consent", "vital_interests"):
        urgency = "green"
    basis = {"consent": "consent", "vital_interests": "vital_interests"}.get(state, "protocol")
    if basis == "protocol" and not protocol_code:
        basis = "consent"
    consent = basis == "consent"
    referral = referral_send(
        user=sender,
        partnership=partnership,
        data=ReferralInput(
            recipient=recipient.code,
            referral_type=TYPE_FOR_KIND.get(recipient.kind, "joint-visit"),
            themes=themes,
            urgency=urgency,
            reason=rng.choice(REASONS),
            lawful_basis=basis,
            incident_id=incident.pk,
            protocol=protocol_code if basis == "protocol" else "",
            consent_given_by="The person, in person" if consent else "",
            consent_given_at=sent_at - hour if consent else None,
            consent_given_how="verbally" if consent else "",
            consent_capacity_note=(
                "Understood who we would tell and why; no concerns about capacity."
                if consent
                else ""
            ),
            vital_interests_reason=(
                "Threats to set fire to the flat with a child inside; police attending."
                if basis == "vital_interests"
                else ""
            ),
        ),
        now=sent_at,
    )
    step = sent_at + 2 * hour
    if state == "declined":
        referral_decline(
            user=receiver, referral=referral, reason="Already known to our team.", now=step
        )
    elif state == "withdrawn":
        referral_withdraw(
            user=sender, referral=referral, reason="The family have moved away.", now=step
        )
    elif state in ("assigned", "contacted", "completed"):
        referral_accept(user=receiver, referral=referral, now=step)
        referral_assign(user=receiver, referral=referral, to_user=receiver, now=step)
        if state in ("contacted", "completed"):
            referral_contact_attempt(
                user=receiver,
                referral=referral,
                outcome="no_answer",
                note="Called twice, no answer.",
                now=step + 20 * hour,
            )
            referral_contact_attempt(
                user=receiver,
                referral=referral,
                outcome="made_contact",
                note="Visit arranged.",
                now=step + 26 * hour,
            )
        if state == "completed":
            referral_complete(
                user=receiver,
                referral=referral,
                outcome="Visit done; advice given and follow-up booked.",
                now=min(step + 28 * hour, now),
            )
    return referral
