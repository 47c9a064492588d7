"""Due times per urgency (the hub's defaults and a partnership's own) and overdue referrals,
shown on both sides and first in each queue."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saferhub.referrals.models import OPEN_STATUSES, Referral, ReferralStatus, UrgencyDueTime
from saferhub.referrals.selectors import (
    ReferralFilters,
    is_overdue,
    new_since_q,
    overdue_q,
    referrals_at_least,
    referrals_received,
    referrals_sent,
)
from saferhub.referrals.services import due_hours, referral_accept, referral_complete
from saferhub.sharing.engine import reader_for
from saferhub.sharing.models import Level, Purpose
from tests.referrals.conftest import send

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def test_the_default_due_times_are_red_4_hours_amber_3_days_green_14_days(fife):
    assert [due_hours(fife, u) for u in ("red", "amber", "green")] == [4, 72, 336]


def test_a_partnership_sets_its_own_due_time_for_an_urgency(fife):
    UrgencyDueTime.objects.create(partnership=fife, urgency="red", hours=2)
    assert [due_hours(fife, u) for u in ("red", "amber", "green")] == [2, 72, 336]
    with pytest.raises(ValueError):
        due_hours(fife, "purple")


def test_a_referral_is_due_its_urgencys_hours_after_it_was_sent(staff, types):
    UrgencyDueTime.objects.create(partnership=types, urgency="green", hours=30)
    sent = timezone.now() - datetime.timedelta(days=2)
    red = send(staff["fife-council-asb"], urgency="red", now=sent)
    green = send(staff["fife-council-asb"], urgency="green", now=sent)
    assert red.due_at - red.sent_at == 4 * HOUR
    assert green.due_at - green.sent_at == 30 * HOUR
    assert red.sent_at == sent


def test_an_overdue_referral_shows_first_on_both_sides(staff, types):
    council, fire = staff["fife-council-asb"], staff["sfrs-fife"]
    now = timezone.now()
    on_time = send(council, urgency="green", now=now - HOUR)
    late = send(council, urgency="red", now=now - 5 * HOUR)
    done_late = send(council, urgency="red", now=now - 6 * HOUR)
    referral_accept(user=fire, referral=done_late)
    referral_complete(user=fire, referral=done_late, outcome="Visited.")
    for user, queue in ((fire, referrals_received), (council, referrals_sent)):
        reader = reader_for(user, Purpose.REFERRAL, now=now)
        rows = list(queue(reader, types))
        assert [r.pk for r in rows] == [late.pk, done_late.pk, on_time.pk]
        assert [r.overdue for r in rows] == [True, False, False]
        only = queue(reader, types, ReferralFilters(overdue_only=True))
        assert [r.pk for r in only] == [late.pk]


def test_new_since_finds_referrals_sent_since_a_moment(staff, types):
    now = timezone.now()
    old = send(staff["fife-council-asb"], now=now - 30 * HOUR)
    new = send(staff["fife-council-asb"], now=now - 2 * HOUR)
    reader = reader_for(staff["sfrs-fife"], Purpose.TASKING, now=now)
    found = referrals_at_least(reader, Level.DEPERSONALISED).filter(new_since_q(now - 24 * HOUR))
    assert list(found) == [new]
    assert old not in found


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sent_minutes_ago=st.integers(min_value=0, max_value=40 * 24 * 60),
    urgency=st.sampled_from(["red", "amber", "green"]),
    status=st.sampled_from(ReferralStatus.values),
    own_hours=st.one_of(st.none(), st.integers(min_value=1, max_value=1000)),
)
def test_overdue_is_open_and_past_due_in_python_and_in_the_database(
    staff, types, sent_minutes_ago, urgency, status, own_hours
):
    now = timezone.now().replace(microsecond=0)
    UrgencyDueTime.objects.filter(partnership=types).delete()
    if own_hours is not None:
        UrgencyDueTime.objects.create(partnership=types, urgency=urgency, hours=own_hours)
    sent = now - datetime.timedelta(minutes=sent_minutes_ago)
    referral = send(staff["fife-council-asb"], urgency=urgency, now=sent)
    Referral.objects.filter(pk=referral.pk).update(status=status)
    referral.refresh_from_db()
    hours = own_hours if own_hours is not None else {"red": 4, "amber": 72, "green": 336}[urgency]
    expected = status in OPEN_STATUSES and sent + datetime.timedelta(hours=hours) < now
    assert referral.due_at == sent + datetime.timedelta(hours=hours)
    assert is_overdue(referral, now) == expected
    assert Referral.objects.filter(overdue_q(now), pk=referral.pk).exists() == expected
    referral.delete()
