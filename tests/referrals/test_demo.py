"""The demo referrals: a dozen in every state, made through the services, made once."""

import datetime

import pytest
from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.demo.referrals import demo_referrals_load
from saferhub.referrals.models import Referral, ReferralEvent
from saferhub.referrals.selectors import overdue_q
from tests.referrals.conftest import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(staff):
    """A few weeks-old incidents of every Fife organisation, with themes some protocols
    cover and some they do not."""
    long_ago = timezone.now() - datetime.timedelta(days=20)
    made = []
    for number, (code, themes) in enumerate(
        [
            ("fife-council-asb", ["home_safety"]),
            ("fife-council-asb", ["asb"]),
            ("police-fife", ["asb"]),
            ("police-fife", ["fire_safety"]),
            ("sfrs-fife", ["fire_safety"]),
            ("kingdom-ha", ["asb"]),
            ("nhs-fife", ["mental_health"]),
        ]
        * 3
    ):
        made.append(
            record(
                staff[code],
                themes=themes,
                occurred_at=long_ago - datetime.timedelta(hours=number),
            )
        )
    return made


def test_the_demo_makes_a_dozen_referrals_in_every_state_once(fife, incidents):
    now = timezone.now()
    assert demo_referrals_load(partnership=fife, seed=2026, now=now) == 12
    referrals = Referral.objects.filter(partnership=fife)
    assert referrals.count() == 12
    assert set(referrals.values_list("status", flat=True)) == {
        "sent",
        "accepted",
        "declined",
        "completed",
        "withdrawn",
    }
    assert set(referrals.values_list("lawful_basis", flat=True)) == {
        "protocol",
        "consent",
        "vital_interests",
    }
    overdue = referrals.filter(overdue_q(now))
    assert [r.urgency for r in overdue] == ["red"]
    assert ReferralEvent.objects.filter(kind="contact_attempt").count() >= 4
    assert AuditEvent.objects.filter(action="referral_sent").count() == 12
    # Every referral is about its sender's own incident.
    for referral in referrals.select_related("incident"):
        assert referral.incident.owner_id == referral.owner_id != referral.recipient_id
    assert demo_referrals_load(partnership=fife, seed=2026, now=now) == 0
    assert Referral.objects.count() == 12


def test_without_incidents_the_demo_makes_no_referrals(fife, staff):
    assert demo_referrals_load(partnership=fife, seed=1, now=timezone.now()) == 0
