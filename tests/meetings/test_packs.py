"""Each organisation's pack of one meeting: what it holds, at which level, and the audit
trail it leaves."""

import pytest
from django.urls import reverse

from saferhub.audit.models import AuditEvent
from saferhub.meetings.packs import pack_disclosures_record, pack_for_organisation
from saferhub.meetings.services import agenda_item_add, item_discussion_record

from .conftest import (
    case,
    client_for,
    item_about,
    organisation,
    person_record,
    place_record,
    record,
    schedule,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(coordinator):
    return schedule(coordinator)


@pytest.fixture
def shared_incident(staff):
    """A police ASB incident naming the housing association as a relevant partner: fire
    sees it in full (fife-isp), housing depersonalised (fife-asb), the NHS not at all."""
    return record(staff["police-fife"], relevant_partners=["kingdom-ha"])


def _pack(meeting, code, **kwargs):
    return pack_for_organisation(meeting, organisation(code), **kwargs)


def test_the_same_meeting_gives_three_organisations_three_packs(
    meeting, coordinator, shared_incident
):
    agenda_item_add(user=coordinator, meeting=meeting, title="Bonfire night planning")
    item = item_about(meeting, "incident", shared_incident.pk)
    item_discussion_record(
        user=coordinator, item=item, discussion="Margaret is scared to go out", decision="Visit"
    )

    fire = _pack(meeting, "sfrs-fife")
    housing = _pack(meeting, "kingdom-ha")
    nhs = _pack(meeting, "nhs-fife")

    full = fire.items[1]
    assert full.level == "personal"
    assert any("Margaret Haddow" in who for _, who in full.people)
    assert ("Place", "12 Hilltown, KY1 1AA") in full.facts
    assert full.text == "Loud music until 3am, neighbour in tears."
    assert full.discussion == "Margaret is scared to go out"

    redacted = housing.items[1]
    assert redacted.level == "depersonalised"
    shown = repr(redacted)
    for secret in ("Margaret", "Haddow", "Kelso", "Hilltown", "KY1", "Loud music", "scared"):
        assert secret not in shown
    assert ("Place", "Data zone S01009876") in redacted.facts
    assert all(who.startswith("Person ") for _, who in redacted.people)
    assert redacted.discussion == redacted.decision == ""

    assert [i.heading for i in nhs.items] == ["Bonfire night planning"]
    assert [i.number for i in nhs.items] == [1]


def test_items_are_numbered_without_gaps_in_each_pack(meeting, coordinator, shared_incident):
    item_about(meeting, "incident", shared_incident.pk)
    agenda_item_add(user=coordinator, meeting=meeting, title="Any other business")

    assert [(i.number, i.heading) for i in _pack(meeting, "nhs-fife").items] == [
        (1, "Any other business")
    ]
    assert [i.number for i in _pack(meeting, "sfrs-fife").items] == [1, 2]


def test_a_relevant_partners_item_goes_only_to_the_named_partners(meeting, staff):
    # Cuckooing is only in fife-asb, which shares with relevant partners only.
    incident = record(
        staff["police-fife"], themes=["cuckooing"], relevant_partners=["fife-council-asb"]
    )
    item_about(meeting, "incident", incident.pk)

    council = _pack(meeting, "fife-council-asb")
    assert [i.level for i in council.items] == ["depersonalised"]
    for code in ("kingdom-ha", "sfrs-fife", "nhs-fife"):
        assert _pack(meeting, code).items == []
    assert _pack(meeting, "police-fife").items[0].level == "personal"


def test_hand_written_items_go_to_their_audience_only(coordinator, staff):
    meeting = schedule(coordinator, invited=["police-fife", "sfrs-fife", "nhs-fife"])
    agenda_item_add(user=coordinator, meeting=meeting, title="For everyone", summary="Rota")
    agenda_item_add(user=coordinator, meeting=meeting, title="Fire only", audience=["sfrs-fife"])

    def headings(code):
        return [i.heading for i in _pack(meeting, code).items]

    assert headings("sfrs-fife") == ["For everyone", "Fire only"]
    assert headings("police-fife") == ["For everyone"]
    assert headings("nhs-fife") == ["For everyone"]
    # Not invited, and not in the audience.
    assert headings("kingdom-ha") == []
    # The organiser (the council) wrote them both.
    assert headings("fife-council-asb") == ["For everyone", "Fire only"]


def test_a_user_who_works_with_figures_gets_no_record_in_their_pack(meeting, shared_incident):
    item_about(meeting, "incident", shared_incident.pk)
    assert _pack(meeting, "sfrs-fife", shows_people=False).items == []


def test_cases_people_and_places_are_shown_at_their_own_level(meeting, staff):
    # Housing sees the person and place only through the incident naming it (fife-asb).
    margaret = person_record("police-fife")
    flat = place_record("police-fife")
    from saferhub.incidents.services import PersonInput

    record(
        staff["police-fife"],
        relevant_partners=["kingdom-ha"],
        place_record_id=flat.pk,
        people=[PersonInput("victim", "Margaret", "Haddow", person_record_id=margaret.pk)],
    )
    red = case("police-fife", person_record=margaret)
    for kind, pk in (("person_record", margaret.pk), ("place_record", flat.pk), ("case", red.pk)):
        item_about(meeting, kind, pk)

    housing = _pack(meeting, "kingdom-ha")
    # The case has no relevant partners, so fife-asb does not reach it for housing.
    assert [i.kind_label for i in housing.items] == ["Other business", "Other business"]
    person, place = housing.items
    assert "Haddow" not in repr(person) and person.people[0][1].startswith("Person ")
    assert place.heading == "Repeat location: data zone S01009876"
    fire = _pack(meeting, "sfrs-fife")
    assert fire.items[1].heading == "Repeat location: 14 Hilltown, Kirkcaldy, KY1 1AA"
    assert fire.items[2].heading == "Cuckooing at Margaret Haddow's flat"


def _events(record_id):
    return AuditEvent.objects.filter(
        action="meeting pack", record_type="incident", record_id=record_id
    )


def test_opening_a_pack_audits_each_disclosed_item_with_level_and_protocol(
    meeting, staff, shared_incident
):
    item_about(meeting, "incident", shared_incident.pk)
    url = reverse("meetings:pack", args=["fife", meeting.pk])

    assert client_for(staff["sfrs-fife"]).get(url).status_code == 200
    assert client_for(staff["kingdom-ha"]).get(url).status_code == 200

    by_organisation = {e.actor_organisation: e for e in _events(shared_incident.pk)}
    assert set(by_organisation) == {"sfrs-fife", "kingdom-ha"}
    fire, housing = by_organisation["sfrs-fife"], by_organisation["kingdom-ha"]
    assert (fire.level, fire.protocol_code, fire.protocol_version) == ("personal", "fife-isp", 3)
    assert (housing.level, housing.protocol_code) == ("depersonalised", "fife-asb")
    assert fire.purpose == housing.purpose == "tasking"
    assert fire.owner_code == "police-fife"
    assert fire.detail["format"] == "html" and fire.detail["meeting"] == meeting.pk


def test_a_left_out_item_writes_no_audit_event(meeting, staff, shared_incident):
    item_about(meeting, "incident", shared_incident.pk)
    response = client_for(staff["nhs-fife"]).get(
        reverse("meetings:pack", args=["fife", meeting.pk])
    )
    assert response.status_code == 200
    assert not _events(shared_incident.pk).exists()
    # The pack was still opened, and that is on record, with no record in it.
    opened = AuditEvent.objects.get(action="meeting pack", actor_organisation="nhs-fife")
    assert opened.record_id is None


def test_the_owner_reading_its_own_record_is_not_a_disclosure(meeting, staff, shared_incident):
    item_about(meeting, "incident", shared_incident.pk)
    pack = _pack(meeting, "police-fife")
    assert pack.items[0].level == "personal" and pack.disclosures == []
    pack_disclosures_record(actor=staff["police-fife"], pack=pack)
    assert not _events(shared_incident.pk).exists()


def test_the_pdf_pack_is_audited_too(meeting, staff, shared_incident):
    item_about(meeting, "incident", shared_incident.pk)
    response = client_for(staff["sfrs-fife"]).get(
        reverse("meetings:pack_pdf", args=["fife", meeting.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert _events(shared_incident.pk).get().detail["format"] == "pdf"


def test_a_suspended_protocol_closes_an_old_pack(meeting, staff, shared_incident):
    from saferhub.sharing.models import Protocol

    item_about(meeting, "incident", shared_incident.pk)
    Protocol.objects.filter(code="fife-isp").update(status="suspended")
    assert _pack(meeting, "sfrs-fife").items == []
