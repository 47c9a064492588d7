"""The meeting pages through the test client: who gets in, what they see, bad input."""

import pytest
from django.urls import reverse

from saferhub.meetings.models import Meeting
from saferhub.partnerships.models import User

from .conftest import client_for, item_about, organisation, record, schedule

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"meetings:{name}", args=["fife", *args])


@pytest.fixture
def meeting(coordinator):
    return schedule(coordinator, invited=["police-fife", "sfrs-fife", "kingdom-ha"])


def test_an_invited_partner_sees_the_meeting_read_only(meeting, staff):
    fire = client_for(staff["sfrs-fife"])
    listing = fire.get(url("list"))
    assert listing.status_code == 200
    assert url("detail", meeting.pk) in listing.content.decode()
    page = fire.get(url("detail", meeting.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Propose items from the data" not in html and "Record attendance" not in html
    assert fire.post(url("propose", meeting.pk)).status_code == 404
    assert fire.get(url("new")).status_code == 404
    assert not meeting.items.exists()


def test_an_organisation_not_invited_finds_no_meeting(meeting, staff):
    nhs = client_for(staff["nhs-fife"])
    assert url("detail", meeting.pk) not in nhs.get(url("list")).content.decode()
    for name in ("detail", "pack", "pack_pdf"):
        assert nhs.get(url(name, meeting.pk)).status_code == 404


def test_someone_outside_the_partnership_gets_404(meeting):
    outsider = User.objects.create_user(
        username="outsider", organisation=organisation("police-fife")
    )
    client = client_for(outsider)
    for address in (url("list"), url("detail", meeting.pk), url("pack", meeting.pk)):
        assert client.get(address).status_code == 404


def test_a_partner_sees_each_item_as_their_pack_does(meeting, staff):
    incident = record(staff["police-fife"], relevant_partners=["kingdom-ha"])
    item_about(meeting, "incident", incident.pk)
    housing = client_for(staff["kingdom-ha"]).get(url("detail", meeting.pk)).content.decode()
    fire = client_for(staff["sfrs-fife"]).get(url("detail", meeting.pk)).content.decode()
    assert "Margaret Haddow" in fire and "Loud music" in fire
    assert "Haddow" not in housing and "Hilltown" not in housing and "Loud music" not in housing
    assert "Data zone S01009876" in housing


def test_scheduling_with_bad_input_answers_422_naming_the_fields(coordinator):
    response = client_for(coordinator).post(
        url("new"), {"title": "", "starts_at": "next tuesday", "period_from": "soon"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    for message in (
        "Give the meeting a title",
        "Enter the start like 8/12/2026 10:00",
        "Enter the date like 1/12/2026",
        "Invite at least one organisation",
    ):
        assert message in html
    assert not Meeting.objects.exists()


def test_a_coordinator_schedules_a_meeting_and_proposes_its_agenda(coordinator, staff):
    incident_place = record(staff["police-fife"])  # noqa: F841 - data for the page
    client = client_for(coordinator)
    response = client.post(
        url("new"),
        {
            "title": "Kirkcaldy MATAC",
            "starts_at": "08/12/2030 10:00",
            "location": "Fife House",
            "invited_organisations": ["police-fife", "sfrs-fife"],
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", meeting.pk)
    assert client.post(url("propose", meeting.pk)).status_code == 302
    added = client.post(url("item_new", meeting.pk), {"title": "Bonfire night"})
    assert added.status_code == 302
    assert client.get(url("detail", meeting.pk)).content.decode().count("Bonfire night") == 1


def test_bad_item_discussion_and_attendance_answer_422(meeting, coordinator):
    client = client_for(coordinator)
    assert client.post(url("item_new", meeting.pk), {"title": ""}).status_code == 422
    item = meeting.items.create(position=1, kind="other", title="AOB")
    response = client.post(url("item_discussion", meeting.pk, item.pk), {})
    assert response.status_code == 422
    assert "Write what was discussed or decided" in response.content.decode()
    response = client.post(url("attendance", meeting.pk), {"organisation": "nowhere"})
    assert response.status_code == 422
    assert "Give the person&#x27;s name" in response.content.decode()
    response = client.post(
        url("item_action", meeting.pk, item.pk), {"title": "x", "due_on": "tomorrow"}
    )
    assert response.status_code == 422
    assert "Choose at least one theme" in response.content.decode()
    assert not meeting.attendance.exists()


def test_a_coordinator_cannot_act_on_an_item_they_may_not_see(meeting, coordinator, staff):
    # The NHS signs no protocol: the council's coordinator may not see its incidents.
    incident = record(staff["nhs-fife"], themes=["mental_health"])
    item = item_about(meeting, "incident", incident.pk)
    client = client_for(coordinator)
    assert client.get(url("item_discussion", meeting.pk, item.pk)).status_code == 404
    assert (
        client.post(url("item_change", meeting.pk, item.pk), {"change": "remove"}).status_code
        == 404
    )
    assert meeting.items.filter(pk=item.pk).exists()


def test_the_pack_pdf_is_a_pdf(meeting, staff):
    incident = record(staff["police-fife"])
    item_about(meeting, "incident", incident.pk)
    response = client_for(staff["sfrs-fife"]).get(url("pack_pdf", meeting.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content[:5] == b"%PDF-"
    assert "sfrs-fife.pdf" in response["Content-Disposition"]


def test_a_whole_meeting_through_the_pages(meeting, coordinator, staff):
    incident = record(staff["police-fife"])
    item = item_about(meeting, "incident", incident.pk)
    client = client_for(coordinator)
    assert (
        client.post(
            url("item_discussion", meeting.pk, item.pk),
            {"discussion": "Third call this month", "decision": "Joint visit"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            url("item_action", meeting.pk, item.pk),
            {
                "title": "Joint visit to the flat",
                "assignee_organisation": "sfrs-fife",
                "due_on": "15/12/2030",
                "themes": ["asb"],
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            url("attendance", meeting.pk),
            {"organisation": "police-fife", "name": "Jo Smith", "present": "present"},
        ).status_code
        == 302
    )
    assert client.post(url("minutes", meeting.pk), {"minutes": "Quorate."}).status_code == 302
    assert client.post(url("status", meeting.pk), {"step": "held"}).status_code == 302
    assert client.post(url("status", meeting.pk), {"step": "close"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "closed"
    pack = client_for(staff["sfrs-fife"]).get(url("pack", meeting.pk)).content.decode()
    for text in ("Third call this month", "Joint visit to the flat", "Jo Smith", "Quorate."):
        assert text in pack
