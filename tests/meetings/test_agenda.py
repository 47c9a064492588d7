"""Proposing the agenda from the data: each rule, the actions carried from the last meeting,
and no record twice."""

import datetime

import pytest
from django.utils import timezone

from saferhub.actions.services import action_update
from saferhub.incidents.services import PersonInput
from saferhub.meetings.services import agenda_item_add, agenda_propose

from .conftest import (
    action,
    case,
    item_about,
    person_record,
    place_record,
    record,
    referral,
    schedule,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def proposed(meeting):
    return [(i.kind, i.record_type, i.record_id) for i in meeting.items.filter(proposed=True)]


@pytest.fixture
def meeting(coordinator):
    # Tomorrow, looking back over the last four weeks.
    return schedule(coordinator)


def test_a_place_with_two_incidents_in_the_period_is_a_repeat_location(meeting, coordinator, staff):
    police = staff["police-fife"]
    flat, shop = place_record("police-fife"), place_record("police-fife", line="1 High Street")
    record(police, place_record_id=flat.pk)
    record(police, place_record_id=flat.pk, occurred_at=timezone.now() - 3 * DAY)
    record(police, place_record_id=shop.pk)
    # Long before the period: does not make the shop a repeat.
    record(police, place_record_id=shop.pk, occurred_at=timezone.now() - 90 * DAY)

    agenda_propose(user=coordinator, meeting=meeting)

    assert proposed(meeting) == [("repeat_location", "place_record", flat.pk)]


def test_a_person_harmed_twice_in_the_period_is_a_repeat_victim(meeting, coordinator, staff):
    margaret = person_record("police-fife")
    darren = person_record("police-fife", given="Darren", family="Kelso")
    for _ in range(2):
        record(
            staff["police-fife"],
            people=[
                PersonInput("victim", "Margaret", "Haddow", person_record_id=margaret.pk),
                PersonInput("perpetrator", "Darren", "Kelso", person_record_id=darren.pk),
            ],
        )

    agenda_propose(user=coordinator, meeting=meeting)

    assert proposed(meeting) == [("repeat_victim", "person_record", margaret.pk)]


def test_open_red_cases_are_proposed(meeting, coordinator):
    red = case("police-fife")
    case("police-fife", rag="amber")
    case("police-fife", stage="closed", closed_at=timezone.now())

    agenda_propose(user=coordinator, meeting=meeting)

    assert proposed(meeting) == [("red_case", "case", red.pk)]


def test_overdue_actions_are_proposed(meeting, coordinator, staff):
    police = staff["police-fife"]
    late = action(police, "sfrs-fife", due_on=timezone.localdate() - 2 * DAY)
    action(police, "sfrs-fife")  # not due yet
    done = action(police, "sfrs-fife", due_on=timezone.localdate() - 2 * DAY)
    action_update(user=police, action=done, status="done", note="Visited")

    agenda_propose(user=coordinator, meeting=meeting)

    assert proposed(meeting) == [("overdue_action", "action", late.pk)]


def test_new_red_referrals_in_the_period_are_proposed(meeting, coordinator):
    new = referral("police-fife", "sfrs-fife")
    referral("police-fife", "sfrs-fife", urgency="amber")
    referral("police-fife", "sfrs-fife", sent_at=timezone.now() - 60 * DAY)

    agenda_propose(user=coordinator, meeting=meeting)

    assert proposed(meeting) == [("high_risk_referral", "referral", new.pk)]


def test_nothing_the_coordinator_may_not_see_is_proposed(meeting, coordinator, staff):
    # The NHS signs no protocol: its red case and its repeat location stay its own.
    case("nhs-fife", themes=("mental_health",))
    ward = place_record("nhs-fife")
    record(staff["nhs-fife"], place_record_id=ward.pk, themes=["mental_health"])
    record(staff["nhs-fife"], place_record_id=ward.pk, themes=["mental_health"])

    assert agenda_propose(user=coordinator, meeting=meeting) == []


def test_actions_from_the_last_meeting_are_carried_into_the_next(coordinator, staff):
    last = schedule(coordinator, starts_at=timezone.now() - 7 * DAY)
    following = schedule(coordinator)
    still_open = action(coordinator, "police-fife", meeting_id=last.pk)
    finished = action(coordinator, "police-fife", meeting_id=last.pk)
    action_update(user=staff["police-fife"], action=finished, status="done", note="Visited")
    dropped = action(coordinator, "police-fife", meeting_id=last.pk)
    action_update(user=coordinator, action=dropped, status="cancelled", note="Moved away")
    # An action of an older meeting is not carried.
    older = schedule(coordinator, starts_at=timezone.now() - 14 * DAY)
    action(coordinator, "police-fife", meeting_id=older.pk)

    agenda_propose(user=coordinator, meeting=following)

    assert proposed(following) == [
        ("carried_action", "action", still_open.pk),
        ("carried_action", "action", finished.pk),
    ]


def test_an_overdue_carried_action_is_on_the_agenda_once(coordinator):
    last = schedule(coordinator, starts_at=timezone.now() - 7 * DAY)
    following = schedule(coordinator)
    late = action(coordinator, "police-fife", meeting_id=last.pk, due_on=timezone.localdate() - DAY)

    agenda_propose(user=coordinator, meeting=following)

    assert proposed(following) == [("carried_action", "action", late.pk)]


def test_proposing_again_adds_nothing_already_there(meeting, coordinator):
    red = case("police-fife")
    item_about(meeting, "case", red.pk)
    agenda_item_add(user=coordinator, meeting=meeting, title="Any other business")
    referral("police-fife", "sfrs-fife")

    first = agenda_propose(user=coordinator, meeting=meeting)
    second = agenda_propose(user=coordinator, meeting=meeting)

    assert [i.kind for i in first] == ["high_risk_referral"]
    assert second == []
    assert meeting.items.filter(record_type="case", record_id=red.pk).count() == 1
    # Proposals go after what is there, in order.
    assert list(meeting.items.values_list("position", flat=True)) == [1, 2, 3]


def test_places_linked_across_organisations_count_together(meeting, coordinator, staff):
    from saferhub.linkage.models import Entity, RecordLink

    # The police and the council each recorded one incident at the same flat, linked as one.
    police_flat = place_record("police-fife")
    council_flat = place_record("fife-council-asb", line="14 Hilltown Flat 1")
    record(staff["police-fife"], place_record_id=police_flat.pk)
    record(staff["fife-council-asb"], place_record_id=council_flat.pk, themes=["asb"])
    flat = Entity.objects.create(partnership=meeting.partnership, kind="place")
    for place in (police_flat, council_flat):
        RecordLink.objects.create(
            entity=flat,
            partnership=meeting.partnership,
            place_record=place,
            match_probability=1.0,
            linked_by="bulk",
        )

    agenda_propose(user=coordinator, meeting=meeting)

    # Once, as the first of its records with the most incidents.
    assert proposed(meeting) == [("repeat_location", "place_record", police_flat.pk)]
