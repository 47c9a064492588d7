"""The incident pages: record, list, read, and the emergency disclosure."""

import datetime
import re

import pytest
from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.incidents.models import Incident
from saferhub.sharing.models import EmergencyDisclosure
from tests.incidents.conftest import client_for, record

pytestmark = pytest.mark.django_db

LIST = "/partnerships/fife/incidents/"


def form_data(**changes) -> dict:
    data = {
        "category": "hoarding",
        "themes": ["home_safety", "fire_safety"],
        "occurred_at": "20/11/2026 14:30",
        "risk": "red",
        "source_ref": "",
        "address": "3 Links Street, Kirkcaldy",
        "postcode": "ky1 1qh",
        "data_zone": "S01009123",
        "narrative": "Heavy hoarding blocking the exits.",
        "vulnerability_flags": ["hoarding", "lives_alone"],
        "relevant_partners": ["sfrs-fife"],
        "people-TOTAL_FORMS": "3",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "10",
        "people-0-role": "victim",
        "people-0-given_name": "Agnes",
        "people-0-family_name": "Lumsden",
        "people-0-date_of_birth": "9/8/1941",
        "people-0-sex": "female",
    }
    data.update(changes)
    return data


def test_a_practitioner_records_an_incident_from_the_form(staff):
    client = client_for(staff["fife-council-asb"])
    page = client.get(LIST + "new/")
    assert page.status_code == 200
    response = client.post(LIST + "new/", form_data())
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert response["Location"] == f"{LIST}{incident.pk}/"
    assert incident.postcode == "KY1 1QH"
    assert incident.people.get().given_name == "Agnes"
    assert incident.owner.code == "fife-council-asb"


def test_the_form_lists_every_problem_at_the_top_and_stores_nothing(staff):
    client = client_for(staff["fife-council-asb"])
    response = client.post(
        LIST + "new/",
        form_data(
            themes=[],
            occurred_at="last Tuesday",
            **{"people-0-date_of_birth": "1/1/2099", "people-1-given_name": "Nameless"},
        ),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert '<a href="#id_themes">Choose at least one theme</a>' in page
    assert "Enter when it happened as a date and time" in page
    assert "Person 1: The date of birth cannot be in the future" in page
    assert "Person 2: Choose how this person was involved" in page
    assert not Incident.objects.exists()


def test_the_form_refuses_a_restricted_incident_without_relevant_partners(staff):
    client = client_for(staff["fife-council-asb"])
    response = client.post(LIST + "new/", form_data(restricted="on", relevant_partners=[]))
    assert response.status_code == 422
    assert "A restricted incident needs at least one relevant partner" in response.content.decode()
    assert not Incident.objects.exists()


def test_the_list_shows_what_the_reader_may_see_and_counts_only_that(staff):
    shared = record(staff["fife-council-asb"], themes=["fire_safety"])
    hidden = record(staff["police-fife"], themes=["domestic_abuse"])
    client = client_for(staff["sfrs-fife"])
    page = client.get(LIST).content.decode()
    assert "<strong>1</strong> incident you may see" in page
    assert f"{LIST}{shared.pk}/" in page
    assert f"{LIST}{hidden.pk}/" not in page
    filtered = client.get(LIST, {"theme": "domestic_abuse"}).content.decode()
    assert "<strong>0</strong> incidents you may see" in filtered
    assert client.get(f"{LIST}{hidden.pk}/").status_code == 404


def test_the_list_refuses_a_bad_date_filter_plainly(staff):
    response = client_for(staff["sfrs-fife"]).get(LIST, {"occurred_from": "soon"})
    assert response.status_code == 422
    assert "Enter the from date like 1/11/2026" in response.content.decode()


def test_a_depersonalised_page_shows_pseudonyms_and_why(staff):
    incident = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    page = client_for(staff["kingdom-ha"]).get(f"{LIST}{incident.pk}/").content.decode()
    for secret in ("Margaret", "Haddow", "Kelso", "12 Hilltown", "KY1 1AA", "Loud music"):
        assert secret not in page, secret
    assert re.search(r"Person [A-Z2-7]{4}-[A-Z2-7]{4}", page)
    assert "Why can I see this?" in page
    assert "Shared under protocol fife-asb, version 1." in page
    assert "Make an emergency disclosure" in page


def test_a_personal_page_shows_everything_and_why(staff):
    incident = record(staff["fife-council-asb"], themes=["fire_safety"])
    page = client_for(staff["sfrs-fife"]).get(f"{LIST}{incident.pk}/").content.decode()
    assert "Margaret Haddow" in page and "Loud music" in page and "12 Hilltown" in page
    assert "Shared under protocol fife-isp, version 3." in page
    assert "Make an emergency disclosure" not in page


def test_reading_another_organisations_incident_is_audited(staff):
    mine = record(staff["sfrs-fife"], themes=["fire_safety"])
    theirs = record(staff["fife-council-asb"], themes=["fire_safety"])
    client = client_for(staff["sfrs-fife"])
    client.get(f"{LIST}{mine.pk}/")
    assert not AuditEvent.objects.exists()  # own records are not a disclosure
    client.get(f"{LIST}{theirs.pk}/")
    event = AuditEvent.objects.get()
    assert (event.action, event.record_type, event.record_id) == ("read", "incident", theirs.pk)
    assert (event.level, event.purpose, event.basis) == ("personal", "tasking", "protocol")
    assert (event.protocol_code, event.protocol_version) == ("fife-isp", 3)
    assert event.actor_organisation == "sfrs-fife"
    client.get(LIST)  # the list shows both; only the other organisation's is a disclosure
    assert AuditEvent.objects.filter(record_id=theirs.pk).count() == 2
    assert not AuditEvent.objects.filter(record_id=mine.pk).exists()


def test_the_api_audits_reads_too(staff):
    from django.test import Client

    from saferhub.api.services import token_create

    theirs = record(staff["fife-council-asb"], themes=["fire_safety"])
    token = token_create(user=staff["sfrs-fife"])[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/incidents")
    client.get(f"/api/v1/incidents/{theirs.pk}")
    assert AuditEvent.objects.filter(record_id=theirs.pk, action="read").count() == 2


def test_an_emergency_disclosure_opens_the_record_for_a_day(staff):
    incident = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    client = client_for(staff["kingdom-ha"])
    url = f"{LIST}{incident.pk}/emergency/"
    short = client.post(url, {"reason": "urgent"})
    assert short.status_code == 422
    assert "at least 20 characters" in short.content.decode()
    response = client.post(
        url, {"reason": "Tenant believed to be held in the flat by dealers tonight"}
    )
    assert response.status_code == 302
    page = client.get(f"{LIST}{incident.pk}/").content.decode()
    assert "Margaret Haddow" in page
    assert "You made an emergency disclosure" in page
    disclosure = EmergencyDisclosure.objects.get()
    assert disclosure.review == "pending"
    hours = (disclosure.ends_at - disclosure.starts_at).total_seconds() / 3600
    assert hours == 24
    assert AuditEvent.objects.filter(action="emergency_disclosure", record_id=incident.pk).exists()
    EmergencyDisclosure.objects.update(ends_at=timezone.now() - datetime.timedelta(minutes=1))
    assert "Margaret Haddow" not in client.get(f"{LIST}{incident.pk}/").content.decode()


def test_no_emergency_disclosure_for_a_record_you_cannot_see(staff):
    incident = record(staff["police-fife"], themes=["domestic_abuse"])
    response = client_for(staff["kingdom-ha"]).post(
        f"{LIST}{incident.pk}/emergency/", {"reason": "I would like to see this record please"}
    )
    assert response.status_code == 404
    assert not EmergencyDisclosure.objects.exists()


def test_the_export_holds_what_the_list_holds_at_each_level_and_is_audited(staff):
    import csv
    import io

    personal = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["police-fife"])
    depersonalised = record(
        staff["fife-council-asb"], themes=["cuckooing"], relevant_partners=["kingdom-ha"]
    )
    record(staff["police-fife"], themes=["domestic_abuse"])  # not shared with housing
    response = client_for(staff["kingdom-ha"]).get(LIST + "export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["id"]) for r in rows] == [depersonalised.pk]
    [row] = rows
    assert row["access_level"] == "depersonalised"
    assert row["narrative"] == "" and row["address"] == "" and row["source_ref"] == ""
    assert "Margaret" not in response.content.decode()
    assert row["people"].startswith("victim Person ")
    export = AuditEvent.objects.get(action="export")
    assert (export.record_id, export.level) == (depersonalised.pk, "depersonalised")
    police = client_for(staff["police-fife"]).get(LIST + "export.csv", {"theme": "asb"})
    rows = list(csv.DictReader(io.StringIO(police.content.decode())))
    assert [int(r["id"]) for r in rows] == [personal.pk]
    assert rows[0]["narrative"].startswith("Loud music")


def test_the_list_pages_through_fifty_at_a_time(staff):
    for _ in range(51):
        record(staff["police-fife"], themes=["asb"], people=[])
    client = client_for(staff["fife-council-asb"])
    first = client.get(LIST).content.decode()
    assert "<strong>51</strong> incidents you may see" in first
    assert first.count(f'href="{LIST}') >= 50
    assert "page=2" in first
    second = client.get(LIST, {"page": "2"}).content.decode()
    assert "Page 2" in second and "page=3" not in second


def _lead_of(organisation_code: str, fife):
    from saferhub.partnerships.models import Organisation
    from tests.conftest import add_user

    return add_user(
        f"dpl.{organisation_code}",
        partnership=fife,
        organisation=Organisation.objects.get(code=organisation_code),
        roles=["data_protection_lead"],
    )


def test_the_owners_data_protection_lead_reviews_an_emergency_disclosure(staff, fife):
    incident = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    client_for(staff["kingdom-ha"]).post(
        f"{LIST}{incident.pk}/emergency/",
        {"reason": "Tenant believed to be held in the flat by dealers tonight"},
    )
    lead = client_for(_lead_of("fife-council-asb", fife))
    queue = lead.get("/partnerships/fife/emergency-disclosures/")
    assert queue.status_code == 200
    page = queue.content.decode()
    assert "Tenant believed to be held in the flat by dealers tonight" in page
    disclosure = EmergencyDisclosure.objects.get()
    review = f"/partnerships/fife/emergency-disclosures/{disclosure.pk}/review/"
    refused = lead.post(review, {"decision": "flag", "note": ""})
    assert refused.status_code == 422
    assert "Say why you are flagging it" in refused.content.decode()
    assert (
        lead.post(review, {"decision": "flag", "note": "Call the officer tomorrow"}).status_code
        == 302
    )
    disclosure.refresh_from_db()
    assert (disclosure.review, disclosure.review_note) == ("flagged", "Call the officer tomorrow")
    assert AuditEvent.objects.filter(action="emergency_review").exists()
    # Reviewed once only.
    assert lead.post(review, {"decision": "approve"}).status_code == 404


def test_another_organisations_lead_sees_nothing_to_review(staff, fife):
    incident = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    client_for(staff["kingdom-ha"]).post(
        f"{LIST}{incident.pk}/emergency/",
        {"reason": "Tenant believed to be held in the flat by dealers tonight"},
    )
    police_lead = client_for(_lead_of("police-fife", fife))
    page = police_lead.get("/partnerships/fife/emergency-disclosures/").content.decode()
    assert "Nothing is waiting for review" in page
    disclosure = EmergencyDisclosure.objects.get()
    response = police_lead.post(
        f"/partnerships/fife/emergency-disclosures/{disclosure.pk}/review/", {"decision": "approve"}
    )
    assert response.status_code == 404
    practitioner = client_for(staff["fife-council-asb"])
    assert practitioner.get("/partnerships/fife/emergency-disclosures/").status_code == 403
