"""The briefing pages: who may open, make, annotate and publish a briefing."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from saferhub.actions.models import Action
from saferhub.audit.models import AuditEvent
from saferhub.briefings.models import Briefing, BriefingStatus, MadeBy
from saferhub.briefings.services import briefing_make, briefing_publish
from saferhub.partnerships.models import User
from tests.briefings.conftest import hours_before_end
from tests.incidents.conftest import client_for, record


def _url(briefing: Briefing, what: str = "") -> str:
    return f"/partnerships/fife/briefing/{briefing.for_date}/{what}"


@pytest.fixture
def published(briefing, coordinator) -> Briefing:
    return briefing_publish(user=coordinator, briefing=briefing)


def test_a_draft_is_for_coordinators_only(staff, briefing, coordinator):
    assert client_for(coordinator).get(_url(briefing)).status_code == 200
    assert client_for(staff["police-fife"]).get(_url(briefing)).status_code == 404
    assert client_for(staff["police-fife"]).get(_url(briefing, "briefing.pdf")).status_code == 404


def test_a_published_briefing_is_for_every_member_in_their_own_version(staff, published):
    police, housing = staff["police-fife"], staff["kingdom-ha"]
    shared = record(
        police, occurred_at=hours_before_end(published, 2), relevant_partners=["kingdom-ha"]
    )

    police_page = client_for(police).get(_url(published)).content.decode()
    housing_page = client_for(housing).get(_url(published)).content.decode()

    assert "12 Hilltown" in police_page
    assert f"/incidents/{shared.pk}/" in housing_page
    assert "12 Hilltown" not in housing_page and "Margaret" not in housing_page
    assert "Data zone S01009876" in housing_page


def test_someone_outside_the_partnership_gets_404(fife, published):
    from saferhub.partnerships.models import Organisation
    from tests.conftest import add_user

    outsider = add_user(
        "someone.else",
        partnership=fife,
        organisation=Organisation.objects.get(code="nhs-fife"),
        roles=[],
    )
    assert client_for(outsider).get(_url(published)).status_code == 404


def test_a_date_that_is_not_one_answers_404(coordinator, briefing):
    client = client_for(coordinator)
    assert client.get("/partnerships/fife/briefing/2026-02-30/").status_code == 404
    assert client.get("/partnerships/fife/briefing/yesterday/").status_code == 404
    assert client.get(_url(briefing) + "?area=S02000001").status_code == 404


def test_todays_page_offers_coordinators_to_make_it_now(staff, coordinator, fife):
    client = client_for(coordinator)
    page = client.get("/partnerships/fife/briefing/")
    assert "Make it now" in page.content.decode()
    assert (
        "Make it now"
        not in client_for(staff["police-fife"]).get("/partnerships/fife/briefing/").content.decode()
    )

    response = client.post(
        "/partnerships/fife/briefing/make/", {"make-date": timezone.localdate().isoformat()}
    )

    made = Briefing.objects.get()
    assert (made.for_date, made.made_by, made.created_by) == (
        timezone.localdate(),
        MadeBy.PAGE,
        coordinator,
    )
    assert response.status_code == 302
    # Today's page now shows it.
    assert "Daily briefing:" in client.get("/partnerships/fife/briefing/").content.decode()


def test_only_coordinators_can_make_one(staff, fife):
    response = client_for(staff["police-fife"]).post(
        "/partnerships/fife/briefing/make/", {"make-date": "2026-06-17"}
    )
    assert response.status_code == 404
    assert not Briefing.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"make-date": "17/13/2026"}, "Enter the date like 23/11/2026"),
        ({"make-date": ""}, "Enter the briefing&#x27;s date"),
        ({"make-date": "2026-06-17", "make-area": "S02999999"}, "Choose an area"),
    ],
)
def test_making_one_with_bad_input_says_what_is_wrong(coordinator, data, message):
    response = client_for(coordinator).post("/partnerships/fife/briefing/make/", data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Briefing.objects.exists()


def test_picking_a_day_goes_to_it_and_a_bad_day_is_422(coordinator, briefing):
    client = client_for(coordinator)
    response = client.get("/partnerships/fife/briefing/", {"date": "17/06/2026"})
    assert response.status_code == 302 and response.url == _url(briefing)

    response = client.get("/partnerships/fife/briefing/", {"date": "18/06/2026"})
    assert response.status_code == 200
    assert "There is no briefing for Thursday 18 June 2026" in response.content.decode()
    assert 'value="18/06/2026"' in response.content.decode()  # ready to make it

    response = client.get("/partnerships/fife/briefing/", {"date": "soon"})
    assert response.status_code == 422
    assert "Enter the date like 23/11/2026" in response.content.decode()


def test_the_coordinator_writes_notes_everyone_reads(staff, coordinator, published):
    client = client_for(coordinator)
    response = client.post(_url(published, "notes/"), {"notes": "Bonfire night patrols."})
    assert response.status_code == 302

    page = client_for(staff["nhs-fife"]).get(_url(published)).content.decode()
    assert "Bonfire night patrols." in page


def test_notes_too_long_are_422_and_not_saved(coordinator, briefing):
    response = client_for(coordinator).post(_url(briefing, "notes/"), {"notes": "x" * 5001})

    assert response.status_code == 422
    assert "Keep the notes to 5,000 characters" in response.content.decode()
    briefing.refresh_from_db()
    assert briefing.notes == ""


def test_others_cannot_write_notes_publish_or_set_tasks(staff, published):
    client = client_for(staff["police-fife"])
    assert client.post(_url(published, "notes/"), {"notes": "Mine"}).status_code == 404
    assert client.post(_url(published, "publish/")).status_code == 404
    assert client.get(_url(published, "tasks/new/")).status_code == 404
    published.refresh_from_db()
    assert published.notes == ""


def test_the_coordinator_sets_a_task(staff, coordinator, briefing):
    client = client_for(coordinator)
    assert client.get(_url(briefing, "tasks/new/")).status_code == 200

    response = client.post(
        _url(briefing, "tasks/new/"),
        {
            "title": "Visit the Mill Wynd flats",
            "assignee_organisation": "police-fife",
            "due_on": "18/06/2026",
            "themes": ["asb"],
        },
    )

    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.briefing, action.assignee_organisation.code) == (briefing, "police-fife")
    assert "Visit the Mill Wynd flats" in client.get(_url(briefing)).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Say what needs to be done"),
        ({"due_on": "tomorrow"}, "due_on", "Enter the due date like 23/11/2026"),
        ({"assignee_organisation": "nowhere"}, "assignee_organisation", "Select a valid choice"),
        ({"themes": []}, "themes", "Choose at least one theme"),
    ],
)
def test_a_bad_task_is_422_naming_the_field(coordinator, briefing, data, field, message):
    good = {
        "title": "Visit",
        "assignee_organisation": "police-fife",
        "due_on": "18/06/2026",
        "themes": ["asb"],
    }
    response = client_for(coordinator).post(_url(briefing, "tasks/new/"), {**good, **data})

    assert response.status_code == 422
    assert message in response.content.decode()
    assert f'id="id_{field}' in response.content.decode()
    assert not Action.objects.exists()


def test_publishing_tells_the_readers_by_a_link_only(
    staff, coordinator, briefing, fife, django_capture_on_commit_callbacks
):
    record(staff["police-fife"], occurred_at=hours_before_end(briefing, 1))
    client = client_for(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        with_commit = client.post(_url(briefing, "publish/"))

    assert with_commit.status_code == 302
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.PUBLISHED
    manager = User.objects.get(username="sam.boyd")  # sees figures only: not emailed
    recipients = {m.to[0] for m in mail.outbox}
    assert coordinator.email in recipients and staff["nhs-fife"].email in recipients
    assert manager.email not in recipients
    for message in mail.outbox:
        assert "/partnerships/fife/briefing/2026-06-17/" in message.body
        for private in ("Margaret", "Haddow", "Hilltown", "noise"):
            assert private not in message.body
    # Publishing again emails no one again.
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(briefing, "publish/"))
    assert len(mail.outbox) == sent


def test_reading_and_downloading_write_the_disclosures(staff, published):
    police, council = staff["police-fife"], staff["fife-council-asb"]
    theirs = record(police, occurred_at=hours_before_end(published, 2))
    own = record(council, occurred_at=hours_before_end(published, 2))
    client = client_for(council)

    client.get(_url(published))
    (read,) = AuditEvent.objects.filter(action="briefing read")
    assert (read.record_type, read.record_id, read.level) == ("incident", theirs.pk, "personal")
    assert (read.protocol_code, read.purpose) == ("fife-isp", "tasking")
    assert not AuditEvent.objects.filter(record_id=own.pk).exists()

    response = client.get(_url(published, "briefing.pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    (pdf,) = AuditEvent.objects.filter(action="briefing pdf")
    assert pdf.record_id == theirs.pk


def test_an_area_briefing_counts_only_its_zones(staff, coordinator, fife):
    from saferhub.geography.models import CouncilArea, DataZone, IntermediateZone

    council = CouncilArea.objects.create(code="S12000047", name="Fife")
    zone = IntermediateZone.objects.create(code="S02001234", name="Hilltown", council_area=council)
    DataZone.objects.create(code="S01009876", intermediate_zone=zone, council_area=council)
    briefing = briefing_make(
        partnership=fife,
        for_date=datetime.date(2026, 6, 17),
        area="S02001234",
        made_by=MadeBy.PAGE,
    )
    police = staff["police-fife"]
    inside = record(police, occurred_at=hours_before_end(briefing, 1))
    outside = record(police, occurred_at=hours_before_end(briefing, 1), data_zone="S01000001")

    page = client_for(coordinator).get(_url(briefing), {"area": "S02001234"})

    text = page.content.decode()
    assert page.status_code == 200
    assert f"/incidents/{inside.pk}/" in text and f"/incidents/{outside.pk}/" not in text
    assert "Hilltown (S02001234)" in text
