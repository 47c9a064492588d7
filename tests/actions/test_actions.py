"""Actions: setting and updating them, what counts as overdue, the action pages, and who
sees what."""

import datetime

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from saferhub.actions.models import Action, ActionStatus, ActionUpdate
from saferhub.actions.selectors import (
    action_visible_to,
    due_between_q,
    my_actions,
    organisation_actions,
    overdue_q,
)
from saferhub.actions.services import (
    ActionInput,
    ActionInvalid,
    action_create,
    action_update,
    is_overdue,
)
from saferhub.audit.models import AuditEvent
from saferhub.partnerships.models import Organisation, Partnership
from saferhub.partnerships.partnership_file import read_partnership_file
from saferhub.partnerships.services import partnership_apply
from saferhub.sharing.engine import reader_for
from tests.conftest import EXAMPLE_FILE, add_user
from tests.incidents.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
MINE = "/partnerships/fife/actions/"


def fife() -> Partnership:
    return Partnership.objects.get(code="fife")


def give(user, to: str = "police-fife", **fields) -> Action:
    """Set an action as `user`, with sensible defaults for what the test does not say."""
    data = ActionInput(
        title=fields.pop("title", "Visit the flat with the housing officer"),
        assignee_organisation=to,
        due_on=fields.pop("due_on", TODAY + 7 * DAY),
        themes=fields.pop("themes", ["asb"]),
        **fields,
    )
    return action_create(user=user, partnership=fife(), data=data)


# Setting and updating ----------------------------------------------------------------------


def test_setting_an_action_records_who_set_it_and_its_first_update(staff):
    action = give(staff["fife-council-asb"], assignee_username=staff["police-fife"].username)
    assert (action.owner.code, action.assignee_organisation.code) == (
        "fife-council-asb",
        "police-fife",
    )
    assert action.assignee == staff["police-fife"]
    assert [(u.status, u.note) for u in action.updates.all()] == [("open", "Set")]


def test_setting_names_every_field_that_is_wrong_and_stores_nothing(staff):
    with pytest.raises(ActionInvalid) as caught:
        give(
            staff["fife-council-asb"],
            to="nobody",
            title=" ",
            themes=[],
            relevant_partners=["elsewhere"],
            case_id=1,
            meeting_id=2,
        )
    assert set(caught.value.errors) == {
        "title",
        "assignee_organisation",
        "themes",
        "relevant_partners",
        "source",
    }
    assert not Action.objects.exists()


def test_the_person_given_it_must_work_in_the_organisation_given_it(staff):
    with pytest.raises(ActionInvalid) as caught:
        give(staff["fife-council-asb"], to="police-fife", assignee_username="worker.nhs-fife")
    assert caught.value.errors == {
        "assignee": "Choose someone in the organisation the action is given to"
    }


def test_an_action_cannot_come_from_a_case_of_no_such_partnership(staff):
    with pytest.raises(ActionInvalid) as caught:
        give(staff["fife-council-asb"], case_id=424242)
    assert caught.value.errors == {"source": "There is no case 424242 in this partnership"}


def test_the_assignee_and_the_setter_may_update_and_no_one_else(staff):
    action = give(staff["fife-council-asb"])
    with pytest.raises(ActionInvalid) as caught:
        action_update(user=staff["sfrs-fife"], action=action, status="done", note="Did it")
    assert "user" in caught.value.errors
    action_update(user=staff["police-fife"], action=action, status="in_progress", note="")
    action_update(
        user=staff["fife-council-asb"], action=action, status="in_progress", note="Chased"
    )
    action_update(user=staff["police-fife"], action=action, status="done", note="Visited")
    action.refresh_from_db()
    assert action.status == "done" and action.completion_note == "Visited"
    assert action.completed_at is not None
    assert [u.status for u in action.updates.all()] == [
        "open",
        "in_progress",
        "in_progress",
        "done",
    ]


@pytest.mark.parametrize(
    ("start", "status", "note", "field"),
    [
        ("open", "done", "", "note"),
        ("open", "open", " ", "note"),
        ("done", "cancelled", "Not needed", "status"),
        ("cancelled", "done", "Done after all", "status"),
        ("open", "finished", "x", "status"),
    ],
)
def test_an_update_that_is_not_allowed_changes_nothing(staff, start, status, note, field):
    action = give(staff["fife-council-asb"])
    Action.objects.filter(pk=action.pk).update(status=start)
    action.refresh_from_db()
    with pytest.raises(ActionInvalid) as caught:
        action_update(user=staff["police-fife"], action=action, status=status, note=note)
    assert set(caught.value.errors) == {field}
    action.refresh_from_db()
    assert action.status == start
    assert ActionUpdate.objects.filter(action=action).count() == 1


def test_the_email_holds_a_link_and_no_personal_data(staff):
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        action = give(
            staff["fife-council-asb"],
            title="Visit Darren Kelso at 12 Hilltown",
            detail="He was threatening neighbours",
            assignee_username=staff["police-fife"].username,
        )
    (email,) = mail.outbox
    assert email.to == [staff["police-fife"].email]
    text = email.subject + email.body
    for secret in ("Darren", "Kelso", "Hilltown", "threatening", "Antisocial"):
        assert secret not in text
    assert f"/partnerships/fife/actions/{action.pk}/" in email.body


def test_giving_an_action_to_another_organisation_is_a_disclosure_in_the_audit_trail(staff):
    own = give(staff["fife-council-asb"], to="fife-council-asb")
    other = give(staff["fife-council-asb"], to="nhs-fife")
    events = AuditEvent.objects.filter(action="disclose", record_type="action")
    assert [(e.record_id, e.basis, e.level) for e in events] == [
        (other.pk, "recipient", "personal")
    ]
    assert own.pk != other.pk


# Overdue ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "status", "overdue"),
    [
        (TODAY - DAY, "open", True),
        (TODAY - DAY, "in_progress", True),
        (TODAY, "open", False),  # due today is not late yet
        (TODAY + DAY, "open", False),
        (TODAY - DAY, "done", False),
        (TODAY - 30 * DAY, "cancelled", False),
    ],
)
def test_an_action_is_overdue_when_still_to_do_after_its_due_date(staff, due, status, overdue):
    action = give(staff["fife-council-asb"], due_on=due)
    Action.objects.filter(pk=action.pk).update(status=status)
    action.refresh_from_db()
    assert is_overdue(action, TODAY) is overdue
    assert Action.objects.filter(overdue_q(TODAY), pk=action.pk).exists() is overdue


def test_the_day_is_the_day_in_scotland_not_in_utc(staff):
    action = give(staff["fife-council-asb"], due_on=datetime.date(2026, 6, 30))
    # 23:30 UTC on 30 June is already 1 July in British Summer Time.
    late_evening = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    reader = reader_for(staff["police-fife"], "tasking", now=late_evening)
    assert reader.today == datetime.date(2026, 7, 1)
    assert Action.objects.filter(overdue_q(reader.today), pk=action.pk).exists()
    assert not Action.objects.filter(overdue_q(datetime.date(2026, 6, 30)), pk=action.pk).exists()


def test_due_between_includes_both_ends_and_only_actions_still_to_do(staff):
    council = staff["fife-council-asb"]
    start, end = TODAY, TODAY + 6 * DAY
    inside = [give(council, due_on=start), give(council, due_on=end)]
    give(council, due_on=start - DAY)
    give(council, due_on=end + DAY)
    done = give(council, due_on=start + DAY)
    action_update(user=council, action=done, status="done", note="Done")
    found = set(Action.objects.filter(due_between_q(start, end)))
    assert found == set(inside)


class TestOverdueAgreesEverywhere(HypothesisTestCase):
    """`is_overdue` (one action in Python) and `overdue_q` (the database) never disagree."""

    @classmethod
    def setUpTestData(cls):
        partnership_apply(document=read_partnership_file(EXAMPLE_FILE))
        cls.setter = add_user(
            "setter",
            partnership=fife(),
            organisation=Organisation.objects.get(code="fife-council-asb"),
            roles=["practitioner"],
        )
        cls.action = give(cls.setter)

    @settings(max_examples=60, deadline=None)
    @given(
        offset=st.integers(min_value=-400, max_value=400),
        status=st.sampled_from(ActionStatus.values),
    )
    def test_python_and_the_database_agree(self, offset, status):
        Action.objects.filter(pk=self.action.pk).update(due_on=TODAY + offset * DAY, status=status)
        action = Action.objects.get(pk=self.action.pk)
        in_database = Action.objects.filter(overdue_q(TODAY), pk=action.pk).exists()
        assert is_overdue(action, TODAY) is in_database
        assert in_database is (offset < 0 and status in ("open", "in_progress"))


# Who sees what ------------------------------------------------------------------------------


def test_the_organisation_given_an_action_sees_it_in_full_whatever_its_themes(staff):
    action = give(staff["fife-council-asb"], to="nhs-fife", themes=["domestic_abuse"])
    nhs = reader_for(staff["nhs-fife"], "tasking")
    _, access = action_visible_to(reader=nhs, action_id=action.pk)
    assert (access.level, access.shared_under.rule) == ("personal", "recipient")
    # Nobody else signs a protocol for domestic abuse: to them it does not exist.
    for code in ("police-fife", "sfrs-fife", "kingdom-ha"):
        with pytest.raises(Action.DoesNotExist):
            action_visible_to(reader=reader_for(staff[code], "tasking"), action_id=action.pk)
        response = client_for(staff[code]).get(f"{MINE}{action.pk}/")
        assert response.status_code == 404


def test_others_see_an_action_as_a_protocol_allows(staff):
    action = give(
        staff["fife-council-asb"],
        to="fife-council-asb",
        title="Warn Darren Kelso about the tenancy",
        themes=["cuckooing"],
        relevant_partners=["kingdom-ha"],
    )
    housing = client_for(staff["kingdom-ha"]).get(f"{MINE}{action.pk}/")
    assert housing.status_code == 200
    text = housing.content.decode()
    assert "Kelso" not in text and "Depersonalised" in text
    assert "Save the update" not in text
    police = client_for(staff["police-fife"]).get(f"{MINE}{action.pk}/")  # not named relevant
    assert police.status_code == 404
    event = AuditEvent.objects.get(action="read", record_type="action")
    assert (event.level, event.protocol_code) == ("depersonalised", "fife-asb")


def test_someone_who_only_sees_an_action_cannot_post_an_update(staff):
    action = give(staff["fife-council-asb"], to="fife-council-asb", themes=["asb"])
    client = client_for(staff["police-fife"])  # personal under fife-isp, but not a party
    assert client.get(f"{MINE}{action.pk}/").status_code == 200
    response = client.post(f"{MINE}{action.pk}/", {"status": "done", "note": "Mine"})
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == "open"


# The pages ---------------------------------------------------------------------------------


def test_my_actions_are_those_given_to_me_and_those_i_set(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    colleague = add_user(
        "colleague.police",
        partnership=fife(),
        organisation=police.organisation,
        roles=["practitioner"],
    )
    to_me = give(council, title="For me by name", assignee_username=police.username)
    set_by_me = give(police, to="sfrs-fife", title="Set by me")
    give(council, title="For my colleague", assignee_username=colleague.username)
    give(council, title="For my organisation")
    reader = reader_for(police, "tasking")
    assert set(my_actions(reader=reader, partnership=fife())) == {to_me, set_by_me}
    assert len(organisation_actions(reader=reader, partnership=fife())) == 4
    text = client_for(police).get(MINE).content.decode()
    assert "For me by name" in text and "Set by me" in text
    assert "For my colleague" not in text and "For my organisation" not in text
    text = client_for(police).get(MINE + "organisation/").content.decode()
    assert "For my colleague" in text and "For my organisation" in text


def test_overdue_actions_come_first_with_a_red_tag(staff):
    council = staff["fife-council-asb"]
    give(council, title="Due next week", due_on=TODAY + 7 * DAY)
    give(council, title="Due tomorrow", due_on=TODAY + DAY)
    give(council, title="Late by a week", due_on=TODAY - 7 * DAY)
    text = client_for(council).get(MINE).content.decode()
    order = [text.index(t) for t in ("Late by a week", "Due tomorrow", "Due next week")]
    assert order == sorted(order)
    assert text.count('<strong class="ds_tag ds_tag--red">Overdue</strong>') == 1
    assert "1 overdue" in text


def test_done_actions_show_only_when_asked(staff):
    council = staff["fife-council-asb"]
    action = give(council, title="Finished job")
    action_update(user=council, action=action, status="done", note="All done")
    client = client_for(council)
    assert "Finished job" not in client.get(MINE).content.decode()
    assert "Finished job" in client.get(MINE + "?show=all").content.decode()


def test_the_assignee_completes_an_action_from_its_page(staff):
    action = give(staff["fife-council-asb"], title="Fit smoke alarms")
    client = client_for(staff["police-fife"])
    page = client.get(f"{MINE}{action.pk}/")
    assert page.status_code == 200 and "Save the update" in page.content.decode()
    refused = client.post(f"{MINE}{action.pk}/", {"status": "done", "note": ""})
    assert refused.status_code == 422
    assert "Say what was done" in refused.content.decode()
    done = client.post(f"{MINE}{action.pk}/", {"status": "done", "note": "Two alarms fitted"})
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == "done"
    history = client.get(f"{MINE}{action.pk}/").content.decode()
    assert "Two alarms fitted" in history


def test_an_action_page_of_another_partnership_answers_404(staff):
    action = give(staff["fife-council-asb"])
    assert client_for(staff["police-fife"]).get(f"{MINE}{action.pk + 100}/").status_code == 404
