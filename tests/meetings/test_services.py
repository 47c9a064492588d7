"""Scheduling and running a meeting: what is refused, and who may do it."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saferhub.actions.models import Action
from saferhub.actions.selectors import actions_at_least
from saferhub.actions.services import ActionInput
from saferhub.meetings.models import Invitation, Meeting
from saferhub.meetings.services import (
    MeetingInput,
    MeetingInvalid,
    agenda_item_add,
    agenda_item_move,
    agenda_item_remove,
    attendance_record,
    item_action_add,
    item_discussion_record,
    meeting_close,
    meeting_mark_held,
    meeting_schedule,
    minutes_save,
    packs_issue,
)
from saferhub.partnerships.models import Partnership
from saferhub.sharing.engine import reader_for

from .conftest import item_about, record, schedule

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_it_schedules_a_meeting_with_its_invitations(coordinator, staff):
    meeting = schedule(
        coordinator,
        invited=["police-fife", "sfrs-fife"],
        invited_people=["worker.nhs-fife"],
        title="Kirkcaldy MATAC",
        location="Fife House",
    )
    assert meeting.organiser.code == "fife-council-asb" and meeting.chair == coordinator
    invited = Invitation.objects.filter(meeting=meeting)
    assert {i.organisation.code for i in invited} == {"police-fife", "sfrs-fife", "nhs-fife"}
    assert invited.get(user__isnull=False).user == staff["nhs-fife"]


def test_the_period_runs_from_the_last_meeting_to_the_day_before(coordinator):
    first_start = timezone.now() - 14 * DAY
    schedule(coordinator, starts_at=first_start)
    meeting = schedule(coordinator)
    assert meeting.period_from == timezone.localdate(first_start)
    assert meeting.period_to == timezone.localdate(meeting.starts_at) - DAY


def test_the_first_meeting_looks_back_four_weeks(coordinator):
    meeting = schedule(coordinator)
    assert (meeting.period_to - meeting.period_from).days == 27


def test_it_names_each_field_that_is_wrong_and_saves_nothing(coordinator, fife):
    data = MeetingInput(
        starts_at=None,
        title=" ",
        invited_organisations=["police-fife", "no-such-org"],
        invited_people=["nobody"],
    )
    with pytest.raises(MeetingInvalid) as refused:
        meeting_schedule(user=coordinator, partnership=fife, data=data)
    assert set(refused.value.errors) == {
        "title",
        "starts_at",
        "invited_organisations",
        "invited_people",
    }
    assert "no-such-org" in refused.value.errors["invited_organisations"]
    assert not Meeting.objects.exists()


def test_a_period_that_ends_before_it_starts_is_refused(coordinator, fife):
    data = MeetingInput(
        starts_at=timezone.now(),
        period_from=timezone.localdate(),
        period_to=timezone.localdate() - DAY,
        invited_organisations=["police-fife"],
    )
    with pytest.raises(MeetingInvalid) as refused:
        meeting_schedule(user=coordinator, partnership=fife, data=data)
    assert "period_from" in refused.value.errors


def test_only_a_coordinator_schedules_or_changes_a_meeting(coordinator, staff):
    with pytest.raises(MeetingInvalid) as refused:
        schedule(staff["police-fife"])
    assert refused.value.errors == {"user": "Only a coordinator of this partnership can schedule"}
    meeting = schedule(coordinator)
    practitioner = staff["police-fife"]
    for change in (
        lambda: agenda_item_add(user=practitioner, meeting=meeting, title="Mine"),
        lambda: minutes_save(user=practitioner, meeting=meeting, minutes="Mine"),
        lambda: meeting_mark_held(user=practitioner, meeting=meeting),
        lambda: packs_issue(user=practitioner, meeting=meeting),
    ):
        with pytest.raises(MeetingInvalid):
            change()
    assert meeting.items.count() == 0


def test_items_move_and_go(coordinator):
    meeting = schedule(coordinator)
    first, second, third = (
        agenda_item_add(user=coordinator, meeting=meeting, title=t) for t in ("A", "B", "C")
    )
    agenda_item_move(user=coordinator, item=third, up=True)
    assert list(meeting.items.values_list("title", flat=True)) == ["A", "C", "B"]
    agenda_item_move(user=coordinator, item=first, up=True)  # already first: nothing
    agenda_item_remove(user=coordinator, item=second)
    assert list(meeting.items.values_list("title", "position")) == [("A", 1), ("C", 2)]


def test_an_audience_outside_the_partnership_is_refused(coordinator):
    meeting = schedule(coordinator)
    with pytest.raises(MeetingInvalid) as refused:
        agenda_item_add(user=coordinator, meeting=meeting, title="X", audience=["elsewhere"])
    assert "audience" in refused.value.errors and meeting.items.count() == 0


def test_attendance_is_recorded_once_per_person(coordinator):
    meeting = schedule(coordinator)
    attendance_record(user=coordinator, meeting=meeting, organisation="police-fife", name="Jo")
    attendance_record(
        user=coordinator, meeting=meeting, organisation="police-fife", name="Jo", present="absent"
    )
    assert list(meeting.attendance.values_list("name", "present")) == [("Jo", "absent")]
    with pytest.raises(MeetingInvalid) as refused:
        attendance_record(user=coordinator, meeting=meeting, organisation="x", name="", present="?")
    assert set(refused.value.errors) == {"organisation", "name", "present"}


def test_an_action_agreed_on_an_item_is_in_the_actions_lists(coordinator, staff):
    meeting = schedule(coordinator)
    incident = record(staff["police-fife"])
    item = item_about(meeting, "incident", incident.pk)
    data = ActionInput(
        title="Fit a smoke alarm",
        assignee_organisation="sfrs-fife",
        due_on=timezone.localdate(),
        themes=["home_safety"],
    )
    agreed = item_action_add(user=coordinator, item=item, data=data)
    assert (agreed.meeting_id, agreed.incident_id) == (meeting.pk, incident.pk)
    fire = reader_for(staff["sfrs-fife"], "tasking")
    assert list(actions_at_least(fire, "personal").filter(meeting=meeting)) == [agreed]


def test_a_bad_action_is_refused_naming_the_field(coordinator):
    meeting = schedule(coordinator)
    item = agenda_item_add(user=coordinator, meeting=meeting, title="AOB")
    data = ActionInput(
        title="", assignee_organisation="nowhere", due_on=timezone.localdate(), themes=[]
    )
    with pytest.raises(MeetingInvalid) as refused:
        item_action_add(user=coordinator, item=item, data=data)
    assert {"title", "assignee_organisation", "themes"} <= set(refused.value.errors)
    assert not Action.objects.exists()


def test_a_meeting_is_held_then_its_minutes_agreed_then_it_is_fixed(coordinator):
    meeting = schedule(coordinator)
    item = agenda_item_add(user=coordinator, meeting=meeting, title="AOB")
    with pytest.raises(MeetingInvalid):
        meeting_close(user=coordinator, meeting=meeting)
    meeting_mark_held(user=coordinator, meeting=meeting)
    with pytest.raises(MeetingInvalid) as refused:
        meeting_close(user=coordinator, meeting=meeting)
    assert "minutes" in refused.value.errors
    minutes_save(user=coordinator, meeting=meeting, minutes="Quorate.")
    meeting_close(user=coordinator, meeting=meeting)
    with pytest.raises(MeetingInvalid):
        item_discussion_record(user=coordinator, item=item, discussion="late", decision="")
    with pytest.raises(MeetingInvalid):
        agenda_item_add(user=coordinator, meeting=meeting, title="late")


def test_issuing_packs_emails_a_link_and_nothing_personal(
    coordinator, staff, django_capture_on_commit_callbacks
):
    meeting = schedule(coordinator, invited=["police-fife", "sfrs-fife"])
    incident = record(staff["police-fife"])
    item_about(meeting, "incident", incident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sent = packs_issue(user=coordinator, meeting=meeting)
    # Jo Smith is a police practitioner in the partnership file.
    assert sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "jo.smith@police.example.org",
        "worker.police-fife@example.org",
        "worker.sfrs-fife@example.org",
    ]
    body = mail.outbox[0].body
    assert f"/partnerships/fife/meetings/{meeting.pk}/pack/" in body
    for secret in ("Haddow", "Hilltown", "Loud music"):
        assert secret not in body


# The partnership is set up once for all examples; each example adds at most one meeting.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=st.text(max_size=250),
    organisations=st.lists(
        st.sampled_from(["police-fife", "sfrs-fife", "nhs-fife", "elsewhere", ""]), max_size=4
    ),
    back=st.integers(min_value=-5, max_value=40),
)
def test_scheduling_either_saves_a_whole_meeting_or_nothing(
    coordinator, title, organisations, back
):
    before = Meeting.objects.count()
    start = timezone.now() + DAY
    data = MeetingInput(
        starts_at=start,
        title=title,
        period_from=timezone.localdate(start) - datetime.timedelta(days=back),
        invited_organisations=organisations,
    )
    partnership = Partnership.objects.get(code="fife")
    try:
        meeting = meeting_schedule(user=coordinator, partnership=partnership, data=data)
    except MeetingInvalid as refused:
        assert refused.errors and Meeting.objects.count() == before
    else:
        assert meeting.title == title.strip() and 0 < len(meeting.title) <= 200
        assert meeting.period_from <= meeting.period_to
        assert set(meeting.invitations.values_list("organisation__code", flat=True)) == set(
            organisations
        )
