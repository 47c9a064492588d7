"""Working a referral: who may take each step from which status, the history both sides
see, the emails (a link, never personal data) and the audit trail of the disclosure."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from saferhub.audit.models import AuditEvent, AuditSubject
from saferhub.referrals.models import ReferralEvent
from saferhub.referrals.services import (
    ReferralInvalid,
    allowed_steps,
    referral_accept,
    referral_assign,
    referral_complete,
    referral_consent_withdrawn,
    referral_contact_attempt,
    referral_decline,
    referral_withdraw,
)
from tests.conftest import add_user
from tests.referrals.conftest import SUBJECT_DETAILS, send

pytestmark = pytest.mark.django_db

REFERRER = "fife-council-asb"
RECIPIENT = "sfrs-fife"


@pytest.fixture
def sides(staff, types):
    return staff[REFERRER], staff[RECIPIENT], staff["police-fife"]


def refused(step, **kwargs) -> dict[str, str]:
    with pytest.raises(ReferralInvalid) as caught:
        step(**kwargs)
    return caught.value.errors


def kinds(referral) -> list[str]:
    return list(ReferralEvent.objects.filter(referral=referral).values_list("kind", flat=True))


def test_the_recipient_accepts_records_contact_and_completes(sides):
    referrer, fire, _ = sides
    referral = send(referrer)
    assert allowed_steps(fire, referral) == ["accept", "decline", "assign"]
    assert allowed_steps(referrer, referral) == ["withdraw"]
    referral_accept(user=fire, referral=referral)
    referral_contact_attempt(user=fire, referral=referral, outcome="no_answer", note="Called at 10")
    referral_contact_attempt(user=fire, referral=referral, outcome="made_contact")
    referral_complete(user=fire, referral=referral, outcome="Visit done, two alarms fitted.")
    referral.refresh_from_db()
    assert referral.status == "completed"
    assert referral.outcome == "Visit done, two alarms fitted."
    assert referral.closed_at is not None
    assert kinds(referral) == [
        "sent",
        "accepted",
        "contact_attempt",
        "contact_attempt",
        "completed",
    ]
    contact = ReferralEvent.objects.filter(kind="contact_attempt").first()
    assert (contact.contact_outcome, contact.detail, contact.by_organisation.code) == (
        "no_answer",
        "Called at 10",
        RECIPIENT,
    )
    assert allowed_steps(fire, referral) == [] and allowed_steps(referrer, referral) == []


def test_only_the_recipient_may_accept_decline_assign_contact_or_complete(sides):
    referrer, fire, police = sides
    referral = send(referrer)
    for user in (referrer, police):
        assert refused(referral_accept, user=user, referral=referral) == {
            "referral": "Only the organisation it was sent to can accept it"
        }
        assert "referral" in refused(referral_decline, user=user, referral=referral, reason="x")
        assert "referral" in refused(referral_assign, user=user, referral=referral, to_user=fire)
    referral_accept(user=fire, referral=referral)
    for user in (referrer, police):
        assert "referral" in refused(
            referral_contact_attempt, user=user, referral=referral, outcome="no_answer"
        )
        assert "referral" in refused(
            referral_complete, user=user, referral=referral, outcome="done"
        )
    assert kinds(referral) == ["sent", "accepted"]


def test_only_the_referrer_may_withdraw(sides):
    referrer, fire, police = sides
    referral = send(referrer)
    for user in (fire, police):
        assert refused(referral_withdraw, user=user, referral=referral, reason="No longer") == {
            "referral": "Only the referrer can withdraw it"
        }
    referral_withdraw(user=referrer, referral=referral, reason="Moved out of the area")
    referral.refresh_from_db()
    assert referral.status == "withdrawn"
    assert kinds(referral) == ["sent", "withdrawn"]


def test_steps_follow_the_status(sides):
    referrer, fire, _ = sides
    referral = send(referrer)
    # Not accepted yet: no contact attempts, no completion.
    assert refused(referral_contact_attempt, user=fire, referral=referral, outcome="no_answer") == {
        "referral": (
            "This referral is waiting to be accepted, so you cannot record a contact attempt now"
        )
    }
    assert "referral" in refused(referral_complete, user=fire, referral=referral, outcome="x")
    referral_accept(user=fire, referral=referral)
    assert refused(referral_accept, user=fire, referral=referral) == {
        "referral": "This referral is already accepted, so you cannot accept it now"
    }
    assert "referral" in refused(referral_decline, user=fire, referral=referral, reason="x")
    referral_complete(user=fire, referral=referral, outcome="Visit done.")
    assert refused(referral_withdraw, user=referrer, referral=referral, reason="x") == {
        "referral": "This referral is completed, so you cannot withdraw it now"
    }


def test_declining_needs_a_reason_and_closes_it(sides):
    referrer, fire, _ = sides
    referral = send(referrer)
    assert refused(referral_decline, user=fire, referral=referral, reason="  ") == {
        "reason": "Say why you are declining the referral"
    }
    referral_decline(user=fire, referral=referral, reason="Already visited last month")
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == ("declined", "Already visited last month")
    assert referral.closed_at is not None


def test_a_referral_is_assigned_only_within_the_recipient(sides, fife):
    referrer, fire, police = sides
    colleague = add_user(
        "second.firefighter",
        partnership=fife,
        organisation=fire.organisation,
        roles=["practitioner"],
    )
    referral = send(referrer)
    assert refused(referral_assign, user=fire, referral=referral, to_user=police) == {
        "assign_to": "Choose someone in your organisation who works in this partnership"
    }
    referral_assign(user=fire, referral=referral, to_user=colleague)
    referral.refresh_from_db()
    assert referral.assigned_to == colleague
    assert ReferralEvent.objects.get(kind="assigned").detail == "Assigned to Second Firefighter"


def test_withdrawn_consent_withdraws_an_open_referral(sides):
    referrer, _, police = sides
    given = timezone.now() - datetime.timedelta(days=1)
    referral = send(
        referrer,
        recipient="nhs-fife",
        lawful_basis="consent",
        consent_given_by="Margaret Haddow",
        consent_given_at=given,
        consent_given_how="in_writing",
        consent_capacity_note="Signed the form; understood it.",
    )
    assert "consent_withdrawn" in allowed_steps(referrer, referral)
    assert refused(
        referral_consent_withdrawn, user=police, referral=referral, at=timezone.now()
    ) == {"referral": "Only the referrer or the organisation it was sent to can record this"}
    assert refused(
        referral_consent_withdrawn,
        user=referrer,
        referral=referral,
        at=given - datetime.timedelta(hours=1),
    ) == {"at": "Consent cannot have been withdrawn before it was given"}
    withdrawn = timezone.now() - datetime.timedelta(minutes=5)
    referral_consent_withdrawn(user=referrer, referral=referral, at=withdrawn, note="Phoned us")
    referral.refresh_from_db()
    assert (referral.status, referral.consent_withdrawn_at) == ("withdrawn", withdrawn)
    assert kinds(referral) == ["sent", "consent_withdrawn"]
    assert refused(referral_consent_withdrawn, user=referrer, referral=referral, at=withdrawn) == {
        "referral": "Withdrawal of consent is already recorded"
    }


def test_consent_withdrawal_is_only_for_referrals_sent_on_consent(sides):
    referrer, fire, _ = sides
    referral = send(referrer)
    assert refused(referral_consent_withdrawn, user=fire, referral=referral, at=timezone.now()) == {
        "referral": "This referral was not sent on consent"
    }


def test_emails_carry_a_link_and_no_personal_data(sides, django_capture_on_commit_callbacks):
    referrer, fire, _ = sides
    with django_capture_on_commit_callbacks(execute=True):
        referral = send(referrer)
    assert [m.to for m in mail.outbox] == [[fire.email]]
    with django_capture_on_commit_callbacks(execute=True):
        referral_accept(user=fire, referral=referral)
        referral_complete(user=fire, referral=referral, outcome="Alarms fitted")
    assert [m.to for m in mail.outbox[1:]] == [[referrer.email], [referrer.email]]
    link = f"/partnerships/fife/referrals/{referral.pk}/"
    for message in mail.outbox:
        text = message.subject + message.body
        assert link in message.body
        for detail in (*SUBJECT_DETAILS, referral.reason, "Alarms fitted", "Home fire safety"):
            assert detail not in text


def test_sending_audits_the_disclosure_to_the_recipient(sides):
    referrer, _, _ = sides
    referral = send(referrer)
    event = AuditEvent.objects.get(action="referral_sent")
    assert (
        event.record_type,
        event.record_id,
        event.owner_code,
        event.level,
        event.basis,
        event.protocol_code,
        event.protocol_version,
        event.purpose,
        event.actor_username,
    ) == (
        "referral",
        referral.pk,
        REFERRER,
        "personal",
        "protocol",
        "fife-isp",
        3,
        "referral",
        referrer.username,
    )
    assert event.detail["recipient"] == RECIPIENT
    assert event.detail["incident"] == referral.incident_id
    # Both people of the incident are in the disclosure history.
    assert AuditSubject.objects.filter(event_id=event.sequence).count() == 2
