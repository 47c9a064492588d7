"""The incidents API as partner systems use it, with the sharing rules applied."""

import datetime
import json

import pytest
from django.test import Client

from saferhub.api.services import token_create
from saferhub.incidents.models import Incident, IncidentPerson
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.sharing.models import Protocol
from tests.incidents.conftest import record

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    token = token_create(user=user)[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def payload(**changes) -> dict:
    body = {
        "partnership": "fife",
        "source_ref": "PS-2026-0001",
        "category": "hoarding",
        "themes": ["home_safety", "fire_safety"],
        "occurred_at": "2026-11-20T14:30:00Z",
        "address": "3 Links Street, Kirkcaldy",
        "postcode": "KY1 1QH",
        "data_zone": "S01009123",
        "people": [
            {
                "role": "victim",
                "given_name": "Agnes",
                "family_name": "Lumsden",
                "date_of_birth": "1941-08-09",
                "sex": "female",
            }
        ],
        "vulnerability_flags": ["hoarding", "lives_alone", "older_person"],
        "narrative": "Fire crew found heavy hoarding blocking the exits.",
        "risk": "red",
        "relevant_partners": ["sfrs-fife"],
    }
    body.update(changes)
    return body


def post(client: Client, body: dict):
    return client.post("/api/v1/incidents", data=json.dumps(body), content_type="application/json")


def test_a_partner_system_records_an_incident(staff):
    response = post(api(staff["fife-council-asb"]), payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == "fife-council-asb"
    assert body["access_level"] == "personal"
    assert body["shared_under"] == "owner"
    assert body["people"][0]["given_name"] == "Agnes"
    assert body["narrative"].startswith("Fire crew found")
    incident = Incident.objects.get(pk=body["id"])
    assert sorted(t.code for t in incident.theme_list()) == ["fire_safety", "home_safety"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"themes": ["asb", "weather"]}, "themes", "Unknown theme weather"),
        ({"themes": []}, "themes", "at least 1"),
        (
            {"relevant_partners": ["nhs-lothian"]},
            "relevant_partners",
            "nhs-lothian is not a member",
        ),
        (
            {"people": [{"role": "victim", "given_name": "A", "date_of_birth": "2099-01-01"}]},
            "people[0].date_of_birth",
            "cannot be in the future",
        ),
        ({"category": "alien_landing"}, "category", "'noise'"),
        ({"risk": "purple"}, "risk", "'red'"),
        ({"partnership": "lothian"}, "partnership", "not a partnership you work in"),
        ({"occurred_at": "yesterday"}, "occurred_at", "datetime"),
    ],
)
def test_an_invalid_incident_is_refused_by_field_and_nothing_stored(staff, changes, field, message):
    response = post(api(staff["fife-council-asb"]), payload(**changes))
    assert response.status_code == 422
    body = response.json()
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert any(f.endswith(field) for f in fields), fields
    assert any(message in m for f, m in fields.items() if f.endswith(field)), fields
    assert not Incident.objects.exists()
    assert not IncidentPerson.objects.exists()


def test_a_missing_themes_key_is_named(staff):
    body = payload()
    del body["themes"]
    response = post(api(staff["fife-council-asb"]), body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["themes"]


def test_a_source_reference_is_unique_per_organisation(staff):
    client = api(staff["fife-council-asb"])
    assert post(client, payload()).status_code == 201
    again = post(client, payload())
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "source_ref"
    # Another organisation may use the same reference.
    assert post(api(staff["police-fife"]), payload(themes=["asb"])).status_code == 201


def test_a_depersonalised_incident_carries_no_names_dates_of_birth_or_narrative(staff):
    incident = record(
        staff["fife-council-asb"],
        themes=["asb"],
        relevant_partners=["kingdom-ha"],
        source_ref="ASB-77",
    )
    response = api(staff["kingdom-ha"]).get(f"/api/v1/incidents/{incident.pk}")
    assert response.status_code == 200
    raw = response.content.decode()
    for secret in (
        "Margaret",
        "Haddow",
        "Darren",
        "Kelso",
        "1948",
        "1991-02-03",
        "Loud music",
        "Hilltown",
        "KY1 1AA",
        "ASB-77",
        "narrative",
        "given_name",
        "date_of_birth",
    ):
        assert secret not in raw, secret
    body = response.json()
    assert body["access_level"] == "depersonalised"
    assert body["shared_under"] == {"protocol": "fife-asb", "version": 1}
    assert body["place"] == {"data_zone": "S01009876"}
    assert body["people"][0] == {
        "role": "victim",
        "pseudonym": body["people"][0]["pseudonym"],
        "age_band": "75 and over",
        "sex": "female",
    }
    assert body["people"][0]["pseudonym"].startswith("Person ")


def test_the_same_person_gets_the_same_pseudonym_on_every_record(staff):
    first = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    second = record(staff["police-fife"], themes=["asb"], relevant_partners=["kingdom-ha"])
    client = api(staff["kingdom-ha"])
    one = client.get(f"/api/v1/incidents/{first.pk}").json()["people"][0]["pseudonym"]
    two = client.get(f"/api/v1/incidents/{second.pk}").json()["people"][0]["pseudonym"]
    assert one == two


def test_an_incident_you_may_not_see_is_not_found(staff):
    incident = record(staff["police-fife"], themes=["domestic_abuse"])
    response = api(staff["sfrs-fife"]).get(f"/api/v1/incidents/{incident.pk}")
    assert response.status_code == 404
    missing = api(staff["sfrs-fife"]).get("/api/v1/incidents/999999")
    assert missing.status_code == 404
    assert response.json()["message"].replace(str(incident.pk), "N") == missing.json()[
        "message"
    ].replace("999999", "N")


def test_the_list_holds_only_what_the_reader_may_see(staff):
    visible = record(staff["fife-council-asb"], themes=["fire_safety"])
    record(staff["police-fife"], themes=["domestic_abuse"])
    record(staff["police-fife"], themes=["asb"], restricted=True, relevant_partners=["nhs-fife"])
    body = api(staff["sfrs-fife"]).get("/api/v1/incidents").json()
    assert body["count"] == 1
    assert [i["id"] for i in body["results"]] == [visible.pk]
    # Filters never count what the reader cannot see.
    by_theme = api(staff["sfrs-fife"]).get("/api/v1/incidents", {"theme": "domestic_abuse"}).json()
    assert by_theme["count"] == 0 and by_theme["results"] == []


def test_the_list_is_paginated_newest_first_with_a_next_link(staff):
    now = datetime.datetime(2026, 11, 1, 12, tzinfo=datetime.UTC)
    for hours in range(7):
        record(staff["police-fife"], occurred_at=now - datetime.timedelta(hours=hours))
    client = api(staff["fife-council-asb"])
    first = client.get("/api/v1/incidents", {"page_size": 3}).json()
    assert first["count"] == 7
    times = [i["occurred_at"] for i in first["results"]]
    assert times == sorted(times, reverse=True)
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert third["next"] is None
    ids = [i["id"] for page in (first, second, third) for i in page["results"]]
    assert len(ids) == len(set(ids)) == 7


def test_the_list_filters_by_theme_category_owner_risk_and_dates(staff):
    old = datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC)
    record(staff["police-fife"], themes=["asb"], category="noise", risk="red", occurred_at=old)
    record(staff["sfrs-fife"], themes=["fire_safety"], category="deliberate_fire", risk="green")
    client = api(staff["fife-council-asb"])

    def count(**query):
        return client.get("/api/v1/incidents", query).json()["count"]

    assert count() == 2
    assert count(theme="fire_safety") == 1
    assert count(category="noise") == 1
    assert count(owner="sfrs-fife") == 1
    assert count(risk="red") == 1
    assert count(**{"from": "2026-02-01"}) == 1
    assert count(**{"to": "2026-01-31"}) == 1


def test_only_the_owner_may_change_an_incident(staff):
    incident = record(staff["fife-council-asb"], themes=["fire_safety"])
    change = json.dumps({"risk": "red", "narrative": "Escalated after a second visit."})
    fire = api(staff["sfrs-fife"]).patch(
        f"/api/v1/incidents/{incident.pk}", data=change, content_type="application/json"
    )
    assert fire.status_code == 403
    unseen = api(staff["nhs-fife"]).patch(
        f"/api/v1/incidents/{incident.pk}", data=change, content_type="application/json"
    )
    assert unseen.status_code == 404
    owner = api(staff["fife-council-asb"]).patch(
        f"/api/v1/incidents/{incident.pk}", data=change, content_type="application/json"
    )
    assert owner.status_code == 200
    assert owner.json()["risk"] == "red"
    incident.refresh_from_db()
    assert incident.narrative == "Escalated after a second visit."


def test_an_invalid_change_is_refused_and_nothing_changes(staff):
    incident = record(staff["fife-council-asb"], themes=["fire_safety"])
    response = api(staff["fife-council-asb"]).patch(
        f"/api/v1/incidents/{incident.pk}",
        data=json.dumps({"themes": ["fire_safety", "nonsense"], "risk": "red"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    incident.refresh_from_db()
    assert incident.risk == "amber"
    assert [t.code for t in incident.theme_list()] == ["fire_safety"]


def test_stats_count_what_the_reader_may_count_and_suppress_small_numbers(staff):
    for _ in range(6):
        record(staff["police-fife"], themes=["fire_safety"])
    for _ in range(2):
        record(staff["police-fife"], themes=["home_safety"])
    for _ in range(9):
        record(staff["police-fife"], themes=["domestic_abuse"])  # not shared with fire
    body = api(staff["sfrs-fife"]).get("/api/v1/stats/incidents", {"by": "theme"}).json()
    assert body["results"] == [
        {"theme": "fire_safety", "count": 6, "suppressed": False},
        {"theme": "home_safety", "count": None, "suppressed": True},
    ]


def test_stats_group_by_theme_and_month(staff):
    for day in (3, 4, 5, 6, 7):
        record(
            staff["police-fife"],
            themes=["asb"],
            occurred_at=datetime.datetime(2026, 10, day, 12, tzinfo=datetime.UTC),
        )
    body = (
        api(staff["fife-council-asb"]).get("/api/v1/stats/incidents", {"by": "theme,month"}).json()
    )
    assert body["by"] == ["theme", "month"]
    assert body["results"] == [
        {"theme": "asb", "month": "2026-10", "count": 5, "suppressed": False}
    ]


def test_stats_group_by_data_zone(staff):
    for zone, times in (("S01009876", 5), ("S01009877", 6), ("S01009878", 1)):
        for _ in range(times):
            record(staff["police-fife"], themes=["fire_safety"], data_zone=zone)
    body = api(staff["sfrs-fife"]).get("/api/v1/stats/incidents", {"by": "data_zone"}).json()
    assert body["results"] == [
        {"data_zone": "S01009876", "count": 5, "suppressed": False},
        {"data_zone": "S01009877", "count": 6, "suppressed": False},
        {"data_zone": "S01009878", "count": None, "suppressed": True},
    ]


def test_counts_can_be_limited_to_some_data_zones(staff):
    from saferhub.incidents.selectors import IncidentFilters, incident_counts
    from saferhub.sharing.engine import reader_for
    from saferhub.sharing.models import Purpose

    for zone in ("S01009876",) * 5 + ("S01009877",) * 7:
        record(staff["police-fife"], themes=["fire_safety"], data_zone=zone)
    reader = reader_for(staff["sfrs-fife"], Purpose.ANALYSIS)

    counts = incident_counts(
        reader=reader, by=["theme"], filters=IncidentFilters(data_zones=("S01009877",))
    )

    assert counts == [{"theme": "fire_safety", "count": 7, "suppressed": False}]


def test_stats_refuse_an_unknown_grouping(staff):
    response = api(staff["police-fife"]).get("/api/v1/stats/incidents", {"by": "colour"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "by"


def test_stats_follow_analysis_protocols_not_tasking_ones(staff):
    for _ in range(5):
        record(staff["fife-council-asb"], themes=["cuckooing"], relevant_partners=["kingdom-ha"])
    # fife-asb shares cuckooing for tasking only: kingdom-ha can list them but not count them.
    assert api(staff["kingdom-ha"]).get("/api/v1/incidents").json()["count"] == 5
    body = api(staff["kingdom-ha"]).get("/api/v1/stats/incidents", {"by": "theme"}).json()
    assert body["results"] == []
    Protocol.objects.filter(code="fife-asb").update(for_analysis=True)
    body = api(staff["kingdom-ha"]).get("/api/v1/stats/incidents", {"by": "theme"}).json()
    assert body["results"] == [{"theme": "cuckooing", "count": 5, "suppressed": False}]


def test_large_lists_count_up_to_a_limit_and_say_so(staff, monkeypatch):
    from saferhub.incidents import selectors

    for _ in range(4):
        record(staff["police-fife"], people=[])
    client = api(staff["fife-council-asb"])
    body = client.get("/api/v1/incidents").json()
    assert (body["count"], body["count_exact"]) == (4, True)
    monkeypatch.setattr(selectors, "COUNT_UP_TO", 3)
    monkeypatch.setattr(selectors.count_up_to, "__defaults__", (3,))
    body = client.get("/api/v1/incidents", {"page_size": 2}).json()
    assert (body["count"], body["count_exact"]) == (3, False)
    assert body["next"] is not None


def test_a_partner_system_points_an_incident_at_its_own_records_by_reference(staff):
    council = staff["fife-council-asb"]
    person = PersonRecord.objects.create(
        organisation_id=council.organisation_id, source_ref="C-P-1", family_name="Lumsden"
    )
    place = PlaceRecord.objects.create(organisation_id=council.organisation_id, source_ref="C-L-1")
    body = payload(place_record="C-L-1")
    body["people"][0]["person_record"] = "C-P-1"
    response = post(api(council), body)
    assert response.status_code == 201, response.content
    incident = Incident.objects.get()
    assert incident.place_record == place
    assert incident.people.get().person_record == person


def test_a_reference_to_a_record_the_organisation_does_not_hold_is_named(staff):
    PersonRecord.objects.create(
        organisation_id=staff["police-fife"].organisation_id, source_ref="PS-P-1"
    )
    body = payload(place_record="NOPE")
    body["people"][0]["person_record"] = "PS-P-1"
    response = post(api(staff["fife-council-asb"]), body)
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields == {"place_record": "Your organisation has no place record NOPE"}
    body.pop("place_record")
    response = post(api(staff["fife-council-asb"]), body)
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields == {"people[0].person_record": "Your organisation has no person record PS-P-1"}
    assert not Incident.objects.exists()
