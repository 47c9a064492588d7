"""The API as a partner system uses it: bearer tokens, JSON answers, JSON errors."""

import pytest
import yaml
from django.test import Client

from saferhub.api.models import ApiToken
from saferhub.api.services import token_create, token_revoke
from saferhub.partnerships.models import User
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply
from tests.conftest import EXAMPLE_FILE, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(fife) -> str:
    return token_create(user=User.objects.get(username="jo.smith"), name="tests")[1]


def get(path: str, token: str | None = None, **extra):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().get(path, headers=headers, **extra)


def test_it_refuses_a_request_without_a_token(fife):
    response = get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {
        "message": "Authenticate with a valid API token: Authorization: Bearer <token>."
    }


def test_it_refuses_a_wrong_or_revoked_token(token):
    assert get("/api/v1/me", token + "x").status_code == 401
    token_revoke(user=User.objects.get(username="jo.smith"), prefix=token[:12])
    assert get("/api/v1/me", token).status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(token):
    User.objects.filter(username="jo.smith").update(is_active=False)
    assert get("/api/v1/me", token).status_code == 401


def test_only_a_hash_of_the_token_is_stored(token):
    record = ApiToken.objects.get()
    assert token not in {record.token_hash, record.prefix, record.name}
    assert len(record.token_hash) == 64
    assert record.prefix == token[:12]


def test_me_describes_the_user_and_their_partnerships(token):
    response = get("/api/v1/me", token)
    assert response.status_code == 200
    assert response.json() == {
        "username": "jo.smith",
        "name": "Jo Smith",
        "email": "jo.smith@police.example.org",
        "organisation": {
            "code": "police-fife",
            "name": "Police Scotland, Fife Division",
            "kind": "police",
        },
        "partnerships": [
            {
                "code": "fife",
                "name": "Fife Community Safety Partnership",
                "local_authority": "Fife",
                "region": "east",
                "setting": "urban",
                "roles": ["practitioner"],
            }
        ],
    }
    assert ApiToken.objects.get().last_used_at is not None


def _second_partnership():
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["partnership"].update(code="kinross", name="Kinross Partnership")
    data["users"] = [u for u in data["users"] if u["username"] == "sam.boyd"]
    data["protocols"] = []
    partnership_apply(document=validate_partnership_data(data))


def test_partnerships_lists_only_the_users_own(token):
    _second_partnership()
    assert [p["code"] for p in get("/api/v1/partnerships", token).json()] == ["fife"]


def test_a_partnership_the_user_is_not_in_is_not_found(token):
    _second_partnership()
    for path in ("/api/v1/partnerships/kinross", "/api/v1/partnerships/kinross/organisations"):
        response = get(path, token)
        assert response.status_code == 404
        assert response.json() == {"message": "No partnership 'kinross' that you are a member of."}
    # The same answer as for a partnership that does not exist at all.
    assert (
        get("/api/v1/partnerships/atlantis", token)
        .json()["message"]
        .startswith("No partnership 'atlantis'")
    )


def test_a_partnership_shows_members_posts_and_protocols(token):
    body = get("/api/v1/partnerships/fife", token).json()
    assert body["roles"] == ["practitioner"]
    assert {o["code"]: o["involvement"] for o in body["organisations"]} == {
        "police-fife": "very",
        "sfrs-fife": "very",
        "fife-council-asb": "very",
        "nhs-fife": "fairly",
        "kingdom-ha": "a_little",
    }
    assert body["funded_posts_annual_total_gbp"] == 79000
    assert {p["code"] for p in body["protocols_in_force"]} == {"fife-isp", "fife-asb"}
    isp = next(p for p in body["protocols_in_force"] if p["code"] == "fife-isp")
    assert isp["version"] == 3
    assert isp["signatories"] == ["fife-council-asb", "police-fife", "sfrs-fife"]


def test_organisations_lists_members_most_involved_first(token):
    body = get("/api/v1/partnerships/fife/organisations", token).json()
    assert [o["involvement"] for o in body] == ["very", "very", "very", "fairly", "a_little"]


def test_an_unknown_endpoint_answers_json(token):
    response = get("/api/v1/nothing-here", token)
    assert response.status_code == 404
    assert "message" in response.json()


def test_the_openapi_document_and_docs_are_served(fife):
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/partnerships",
        "/api/v1/partnerships/{code}",
        "/api/v1/partnerships/{code}/organisations",
    ):
        assert path in paths
    assert "BearerToken" in schema.json()["components"]["securitySchemes"]
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_a_logged_in_browser_session_can_use_the_api(practitioner):
    client = Client()
    log_in(client, practitioner)
    assert client.get("/api/v1/me").json()["username"] == "jo.smith"


def test_organisations_can_be_filtered_by_kind(token):
    body = get("/api/v1/organisations", token, data={"kind": "police"}).json()
    assert body == [
        {"code": "police-fife", "name": "Police Scotland, Fife Division", "kind": "police"}
    ]
    assert len(get("/api/v1/organisations", token).json()) == 5


def test_an_invalid_filter_is_refused_naming_the_field(token):
    response = get("/api/v1/organisations", token, data={"kind": "army"})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The request is not valid."
    [error] = body["errors"]
    assert error["field"] == "query.kind"
    assert "police" in error["message"]


def test_organisations_of_another_partnership_are_not_found(token):
    _second_partnership()
    response = get("/api/v1/organisations", token, data={"partnership": "kinross"})
    assert response.status_code == 404
