"""The auditor's pages: searching the partnership's audit trail and a person's disclosures."""

import csv
import datetime
import io
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.partnerships.models import Organisation, User
from saferhub.sharing.pseudonyms import subject_key
from tests.audit.conftest import disclosure, record
from tests.conftest import add_user, log_in

pytestmark = pytest.mark.django_db

SEARCH = "/partnerships/fife/audit/"
SAR = "/partnerships/fife/audit/subject-access/"
JAMIE = {"given_name": "Jamie", "family_name": "Reid", "date_of_birth": "2/1/1990"}


def at(text: str) -> datetime.datetime:
    """A moment in the hub's time zone, such as '2026-03-31 23:30'."""
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


def records_on(page: str) -> list[str]:
    return re.findall(r'<td data-heading="Record">([^<]*)</td>', page)


def key_of(given_name: str, family_name: str, born: datetime.date, partnership="fife") -> str:
    return subject_key(
        partnership_code=partnership,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=born,
    )


@pytest.fixture
def ali() -> User:
    return User.objects.get(username="ali.khan")


@pytest.fixture
def events(jo, ali) -> None:
    """Jo (police) and Ali (council) read records; one event belongs to another partnership."""
    record(jo, disclosure(1, owner_code="fife-council-asb"), at=at("2026-03-30 10:00"))
    record(jo, disclosure(2, owner_code="fife-council-asb"), at=at("2026-03-31 23:30"))
    record(ali, disclosure(3), at=at("2026-04-01 00:30"))
    record(ali, disclosure(4, record_type="case"), action="export", at=at("2026-04-02 09:00"))
    record(ali, disclosure(5, partnership_code="tayside"), at=at("2026-04-02 09:00"))


def test_an_auditor_sees_the_partnerships_events_newest_first(auditor_client, events):
    response = auditor_client.get(SEARCH)
    assert response.status_code == 200
    page = response.content.decode()
    assert records_on(page) == ["case 4", "incident 3", "incident 2", "incident 1"]
    assert "Fife Council, Safer Communities" in page  # organisations by name
    assert "fife-isp v3" in page
    assert "<strong>4</strong> events" in page


def test_a_data_protection_lead_may_search_too(fife, events):
    lead = add_user(
        "pat.lead",
        partnership=fife,
        organisation=Organisation.objects.get(code="police-fife"),
        roles=["data_protection_lead"],
    )
    client = Client()
    log_in(client, lead)
    assert client.get(SEARCH).status_code == 200
    assert client.get(SAR).status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", SEARCH),
        ("get", SAR),
        ("post", SAR),
        ("get", SAR + "disclosures.csv?subject=abc"),
        ("get", SAR + "disclosures.json?subject=abc"),
    ],
)
def test_a_practitioner_gets_404(jo, events, method, url):
    client = Client()
    log_in(client, jo)
    response = getattr(client, method)(url, JAMIE if method == "post" else None)
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action__in=["audit_search", "sar_export"]).exists()


def test_an_auditor_of_another_partnership_gets_404(auditor_client):
    assert auditor_client.get("/partnerships/tayside/audit/").status_code == 404


def test_someone_logged_out_is_sent_to_log_in(fife):
    response = Client().get(SEARCH)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "jo.smith"}, ["incident 2", "incident 1"]),
        ({"actor_organisation": "fife-council-asb"}, ["case 4", "incident 3"]),
        ({"action": "export"}, ["case 4"]),
        ({"record_type": "incident"}, ["incident 3", "incident 2", "incident 1"]),
        ({"record_type": "incident", "record_id": "2"}, ["incident 2"]),
        ({"owner": "fife-council-asb"}, ["incident 2", "incident 1"]),
        ({"occurred_from": "31/3/2026", "occurred_to": "31/03/2026"}, ["incident 2"]),
        ({"occurred_from": "2026-04-01"}, ["case 4", "incident 3"]),
        ({"occurred_to": "30/3/2026"}, ["incident 1"]),
        ({"actor": "nobody"}, []),
    ],
)
def test_the_search_filters_the_events(auditor_client, events, query, expected):
    response = auditor_client.get(SEARCH, query)
    assert response.status_code == 200
    page = response.content.decode()
    assert records_on(page) == expected
    if not expected:
        assert "No events match." in page


def test_the_search_shows_fifty_events_a_page_and_later_pages_stay_put(auditor_client, ali):
    record(ali, *[disclosure(i) for i in range(1, 121)])
    first = auditor_client.get(SEARCH, {"record_type": "incident"}).content.decode()
    assert records_on(first) == [f"incident {i}" for i in range(120, 70, -1)]
    assert 'aria-current="page"' in first and "page 1 of 3" in first
    # Recorded since: a new event, and the first page's own; page 3 is still the oldest 20.
    record(ali, disclosure(121))
    link = re.search(r'href="\?([^"]*page=3)"', first).group(1).replace("&amp;", "&")
    third = auditor_client.get(f"{SEARCH}?{link}").content.decode()
    assert records_on(third) == [f"incident {i}" for i in range(20, 0, -1)]
    assert 'aria-label="Previous page"' in third and 'aria-label="Next page"' not in third
    fresh = auditor_client.get(SEARCH, {"record_type": "incident"}).content.decode()
    assert records_on(fresh)[0] == "incident 121"


def test_a_bad_date_shows_the_error_summary(auditor_client, events):
    response = auditor_client.get(SEARCH, {"occurred_from": "31/2/2026"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert '<a href="#id_occurred_from">Enter the from date as a real date' in page
    assert 'aria-invalid="true"' in page
    assert "<title>Error: Audit trail" in page
    assert records_on(page) == []


def test_a_to_date_before_the_from_date_is_an_error(auditor_client, events):
    response = auditor_client.get(SEARCH, {"occurred_from": "2/4/2026", "occurred_to": "1/4/2026"})
    assert response.status_code == 422
    assert "The to date must be the same as or after the from date" in response.content.decode()


def test_each_search_is_itself_recorded(auditor_client, auditor, events):
    auditor_client.get(SEARCH, {"actor": "jo.smith", "occurred_from": "30/3/2026"})
    event = AuditEvent.objects.get(action="audit_search")
    assert (event.actor, event.partnership_code, event.actor_organisation) == (
        auditor,
        "fife",
        "fife-council-asb",
    )
    assert event.detail == {
        "search": "events",
        "filters": {"actor": "jo.smith", "occurred_from": "2026-03-30"},
        "page": 1,
        "results": 2,
    }
    # And the next search shows it.
    assert "audit_search" in auditor_client.get(SEARCH).content.decode()


@pytest.fixture
def jamies_events(jo, ali) -> dict[str, str]:
    """Three events about Jamie Reid, and others about someone else, or in another partnership."""
    jamie = key_of("Jamie", "Reid", datetime.date(1990, 1, 2))
    morgan = key_of("Morgan", "Reid", datetime.date(1990, 1, 2))
    record(jo, disclosure(1, subjects=(jamie,)))
    record(ali, disclosure(2, subjects=(jamie, morgan), level="depersonalised"))
    record(jo, disclosure(3, subjects=(morgan,)))
    record(jo, disclosure(4))
    record(ali, disclosure(5, subjects=(jamie,), partnership_code="tayside"))
    record(ali, disclosure(6, subjects=(jamie,)), action="emergency_disclosure")
    return {"jamie": jamie, "morgan": morgan}


def test_the_disclosure_history_lists_every_event_about_the_person(auditor_client, jamies_events):
    response = auditor_client.post(SAR, JAMIE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Disclosures about Jamie Reid, born 2 January 1990" in page
    assert re.findall(r'<td data-heading="What">incident (\d+)', page) == ["1", "2", "6"]
    assert "depersonalised" in page and "fife-isp version 3" in page
    # The download links carry the key, never the person's name or date of birth.
    links = re.findall(r'href="([^"]*disclosures\.[a-z]+[^"]*)"', page)
    assert len(links) == 2
    assert all(jamies_events["jamie"] in link and "Jamie" not in link for link in links)


def test_names_are_matched_as_partners_record_them(auditor_client, jamies_events):
    page = auditor_client.post(
        SAR, {**JAMIE, "given_name": " JAMIE ", "family_name": "reid"}
    ).content.decode()
    assert re.findall(r'<td data-heading="What">incident (\d+)', page) == ["1", "2", "6"]


def test_the_csv_holds_exactly_the_persons_events(auditor_client, jamies_events, jo):
    url = f"{SAR}disclosures.csv?subject={jamies_events['jamie']}"
    response = auditor_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["record_id"], r["action"]) for r in rows] == [
        ("1", "read"),
        ("2", "read"),
        ("6", "emergency_disclosure"),
    ]
    first = rows[0]
    assert (first["user"], first["organisation"], first["organisation_name"]) == (
        "jo.smith",
        "police-fife",
        "Police Scotland, Fife Division",
    )
    assert (first["record_type"], first["level"], first["purpose"]) == (
        "incident",
        "personal",
        "tasking",
    )
    assert (first["protocol_code"], first["protocol_version"]) == ("fife-isp", "3")
    assert datetime.datetime.fromisoformat(first["occurred_at"]).tzinfo is not None
    assert rows[1]["level"] == "depersonalised"


def test_the_json_holds_exactly_the_persons_events(auditor_client, jamies_events):
    response = auditor_client.get(f"{SAR}disclosures.json?subject={jamies_events['morgan']}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = json.loads(response.content)
    assert (document["partnership"], document["subject_key"]) == ("fife", jamies_events["morgan"])
    assert [e["record_id"] for e in document["events"]] == [2, 3]
    assert document["events"][0]["user"] == "ali.khan"
    assert document["events"][0]["protocol_version"] == 3


def test_each_export_is_recorded_and_not_counted_as_a_disclosure(
    auditor_client, auditor, jamies_events
):
    url = f"{SAR}disclosures.csv?subject={jamies_events['jamie']}"
    auditor_client.get(url)
    second = auditor_client.get(url).content.decode()
    assert len(list(csv.DictReader(io.StringIO(second)))) == 3
    exports = AuditEvent.objects.filter(action="sar_export").order_by("sequence")
    assert [e.actor for e in exports] == [auditor, auditor]
    assert exports[0].detail == {
        "format": "csv",
        "subject_key": jamies_events["jamie"],
        "results": 3,
    }
    assert exports[0].partnership_code == "fife"


def test_viewing_a_disclosure_history_is_recorded(auditor_client, auditor, jamies_events):
    auditor_client.post(SAR, JAMIE)
    event = AuditEvent.objects.get(action="audit_search")
    assert event.actor == auditor
    assert event.detail == {
        "search": "subject_access",
        "subject_key": jamies_events["jamie"],
        "results": 3,
    }
    # Without the person's name or date of birth.
    assert "Jamie" not in json.dumps(event.detail)


def test_the_form_alone_records_nothing(auditor_client):
    page = auditor_client.get(SAR).content.decode()
    assert 'method="post"' in page and "Date of birth" in page
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("data", "message", "field"),
    [
        (
            {**JAMIE, "date_of_birth": "30/2/1990"},
            "Enter the person&#x27;s date of birth as a real date",
            "date_of_birth",
        ),
        (
            {**JAMIE, "date_of_birth": "2/1/2990"},
            "The date of birth must be in the past",
            "date_of_birth",
        ),
        ({**JAMIE, "given_name": ""}, "Enter the person&#x27;s given name", "given_name"),
    ],
)
def test_the_form_says_what_is_wrong(auditor_client, jamies_events, data, message, field):
    response = auditor_client.post(SAR, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'<a href="#id_{field}">{message}' in page
    assert "Disclosures about" not in page
    assert not AuditEvent.objects.filter(action="audit_search").exists()


def test_a_download_needs_a_subject(auditor_client):
    assert auditor_client.get(f"{SAR}disclosures.csv").status_code == 404
    assert auditor_client.get(f"{SAR}disclosures.xml?subject=abc").status_code == 404
