"""Pushing records through the API: per-item results, idempotency, limits and refusals."""

import json

import pytest
from django.test import Client

from saferhub.api.services import token_create
from saferhub.imports.api import MAX_ITEMS
from saferhub.imports.models import ImportRun
from saferhub.incidents.models import Incident
from saferhub.partnerships.models import Partnership, User
from saferhub.people.models import PersonRecord
from tests.conftest import add_user
from tests.imports.conftest import organisation

pytestmark = pytest.mark.django_db


def api(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=user)[1]}"})


def staff(code: str, roles: list[str]) -> User:
    return add_user(
        f"{roles[0]}.{code}",
        partnership=Partnership.objects.get(code="fife"),
        organisation=organisation(code),
        roles=roles,
    )


def push(client: Client, kind: str, body, query: str = ""):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/api/v1/imports/{kind}{query}", data=data, content_type="application/json")


PEOPLE = [
    {"source_ref": "P1", "given_name": "Ann", "family_name": "Smith", "sex": "female"},
    {"source_ref": "P2", "given_name": "Bob", "family_name": "Reid", "sex": "male"},
    {"source_ref": "P3", "given_name": "Cat", "date_of_birth": "12 March"},
]


def test_a_push_answers_for_each_item_and_a_second_push_changes_nothing(fife):
    client = api(staff("nhs-fife", ["coordinator"]))
    response = push(client, "people", PEOPLE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["run"] == ImportRun.objects.get().pk
    assert (body["inserted"], body["rejected"]) == (2, 1)
    assert [(r["index"], r["source_ref"], r["outcome"]) for r in body["results"]] == [
        (0, "P1", "inserted"),
        (1, "P2", "inserted"),
        (2, "P3", "rejected"),
    ]
    assert body["results"][2]["problems"][0]["field"] == "date_of_birth"
    assert PersonRecord.objects.filter(organisation__code="nhs-fife").count() == 2

    again = push(client, "people", PEOPLE).json()
    assert [r["outcome"] for r in again["results"]] == ["unchanged", "unchanged", "rejected"]

    changed = [{**PEOPLE[0], "family_name": "Smith-Brown"}]
    assert push(client, "people", changed).json()["results"][0]["outcome"] == "updated"


def test_incidents_are_pushed_into_the_partnership_with_their_place_and_people(fife):
    client = api(staff("police-fife", ["coordinator"]))
    item = {
        "source_ref": "PS/1",
        "category": "noise",
        "occurred_at": "2026-11-20T23:30:00Z",
        "risk": "amber",
        "themes": ["asb"],
        "place": {"address_line_1": "12 High Street", "postcode": "KY1 1AA"},
        "people": [{"role": "victim", "source_ref": "V1", "given_name": "Ann"}],
    }
    response = push(client, "incidents", [item], "?partnership=fife")
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["outcome"] == "inserted", response.json()
    incident = Incident.objects.get(source_ref="PS/1")
    assert (incident.partnership.code, incident.owner.code) == ("fife", "police-fife")
    assert push(client, "incidents", [item]).json()["results"][0]["outcome"] == "unchanged"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("[{", "body", "is not valid JSON"),
        ({"source_ref": "P1"}, "body", "must be a JSON array"),
        ([], "body", "has no items"),
        ([{"source_ref": "P1"}, "P2"], "[1]", "must be an object of fields"),
        ([{"source_ref": "P1", "colour": "red"}], "[0].colour", "is not a field of people"),
        ([{"source_ref": {"id": 1}}], "[0].source_ref", "must be text, a number"),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_naming_the_item_and_field(fife, body, field, message):
    response = push(api(staff("nhs-fife", ["coordinator"])), "people", body)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert message in errors[field]
    assert not ImportRun.objects.exists()


def test_too_many_items_are_refused(fife):
    items = [{"source_ref": f"P{n}"} for n in range(MAX_ITEMS + 1)]
    response = push(api(staff("nhs-fife", ["coordinator"])), "people", items)
    assert response.status_code == 422
    assert response.json()["message"] == "Too many items."
    assert "at most 5,000 can be pushed at a time" in response.json()["errors"][0]["message"]


def test_only_coordinators_and_admins_with_a_token_may_push(fife):
    assert push(Client(), "people", PEOPLE).status_code == 401
    refused = push(api(User.objects.get(username="jo.smith")), "people", PEOPLE)
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only coordinators and administrators can push records."
    admin = api(User.objects.get(username="ali.khan"))
    assert push(admin, "incidents", [], "?partnership=nowhere").status_code == 404
    wrong = push(admin, "places", [{"source_ref": "X"}], "?partnership=fife")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "query.partnership"
    assert push(admin, "lorries", [{"source_ref": "X"}]).status_code == 422
    assert not ImportRun.objects.exists()
