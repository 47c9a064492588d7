"""The case pages: the list and its filters, opening a case, and each change from the case
page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from saferhub.actions.models import Action
from saferhub.cases.models import Case
from saferhub.cases.services import case_close, risk_assess
from tests.cases.conftest import client_for, open_case, person_of, place_of, record

pytestmark = pytest.mark.django_db

LIST = "/partnerships/fife/cases/"
IN_A_WEEK = timezone.localdate() + datetime.timedelta(days=7)


def new_case_form(**changes) -> dict:
    data = {
        "title": "Youths gathering at the Hilltown shops",
        "subject": "problem",
        "themes": ["asb"],
        "data_zone": "s01009876",
        "relevant_partners": ["police-fife"],
        "next_review_on": IN_A_WEEK.strftime("%d/%m/%Y"),
    }
    data.update(changes)
    return data


def test_a_practitioner_opens_a_case_from_the_form(staff):
    client = client_for(staff["fife-council-asb"])
    assert client.get(LIST + "new/").status_code == 200
    response = client.post(LIST + "new/", new_case_form())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}{case.pk}/"
    assert case.data_zone == "S01009876"
    assert case.next_review_on == IN_A_WEEK
    page = client.get(response["Location"])
    assert "Youths gathering at the Hilltown shops" in page.content.decode()


def test_the_form_lists_every_problem_and_stores_nothing(staff):
    client = client_for(staff["fife-council-asb"])
    response = client.post(
        LIST + "new/", new_case_form(title="", themes=[], subject="group", data_zone="nowhere")
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "There is a problem" in text
    assert '<a href="#id_title">Say what the problem is</a>' in text
    assert '<a href="#id_themes">Choose at least one theme</a>' in text
    assert not Case.objects.exists()
    # With the shape right, the service's checks come back on their fields too.
    response = client.post(LIST + "new/", new_case_form(subject="group", data_zone="nowhere"))
    text = response.content.decode()
    assert response.status_code == 422
    assert "Describe the group" in text and "Enter a data zone code" in text
    assert not Case.objects.exists()


def test_a_case_opened_from_a_person_page_is_about_that_person(staff):
    council = staff["fife-council-asb"]
    person = person_of(council, given_name="Lorna", family_name="Baxter")
    client = client_for(council)
    page = client.get(f"{LIST}new/?person={person.pk}")
    assert page.status_code == 200
    assert "Lorna Baxter" in page.content.decode()
    response = client.post(
        f"{LIST}new/?person={person.pk}",
        new_case_form(subject="person", person_record=str(person.pk)),
    )
    assert response.status_code == 302
    assert Case.objects.get().person_record == person


def test_opening_from_a_record_the_user_may_not_see_answers_404(staff):
    hidden = person_of(staff["nhs-fife"])
    place = place_of(staff["nhs-fife"])
    client = client_for(staff["fife-council-asb"])
    assert client.get(f"{LIST}new/?person={hidden.pk}").status_code == 404
    assert client.get(f"{LIST}new/?place={place.pk}").status_code == 404


def test_the_list_filters_by_stage_risk_owner_and_mine(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    red = open_case(council, title="Red council case")
    risk_assess(user=council, case=red, likelihood=5, impact=5, rationale="x")
    open_case(police, title="Police case")
    closed = open_case(council, title="Closed council case")
    case_close(user=council, case=closed, outcome="resolved", notes="Done")
    client = client_for(council)

    def titles(query: str) -> set[str]:
        text = client.get(LIST + query).content.decode()
        return {t for t in ("Red council case", "Police case", "Closed council case") if t in text}

    assert titles("") == {"Red council case", "Police case", "Closed council case"}
    assert titles("?rag=red") == {"Red council case"}
    assert titles("?stage=open") == {"Red council case", "Police case"}
    assert titles("?stage=closed") == {"Closed council case"}
    assert titles("?owner=police-fife") == {"Police case"}
    assert titles("?mine=on") == {"Red council case", "Closed council case"}


def test_red_and_overdue_reviews_stand_out_in_the_list(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    risk_assess(user=council, case=case, likelihood=4, impact=4, rationale="x")
    Case.objects.filter(pk=case.pk).update(
        next_review_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    text = client_for(council).get(LIST).content.decode()
    assert '<strong class="ds_tag ds_tag--red">Red</strong>' in text
    assert "Review overdue" in text


def test_the_owner_works_a_case_through_its_page(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    case = open_case(council)
    incident = record(police, themes=["asb"])
    client = client_for(council)
    base = f"{LIST}{case.pk}/"

    def post(path: str, data: dict):
        response = client.post(base + path, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        return response

    post("incidents/link/", {"link-incident": str(incident.pk)})
    post("risk/", {"risk-likelihood": "4", "risk-impact": "4", "risk-rationale": "Escalating"})
    post("stage/", {"stage-stage": "analysis", "stage-notes": "Fridays, after 10pm"})
    post(
        "actions/",
        {
            "action-title": "Patrol the shops on Friday nights",
            "action-assignee_organisation": "police-fife",
            "action-assignee_username": police.username,
            "action-due_on": IN_A_WEEK.strftime("%d/%m/%Y"),
            "action-detail": "",
        },
    )
    post("reviews/", {"review-notes": "Plan agreed", "review-next_review_on": "2099-01-31"})
    case.refresh_from_db()
    assert case.rag == "red" and case.stage == "analysis"
    assert case.next_review_on == datetime.date(2099, 1, 31)
    action = Action.objects.get()
    assert (action.case, action.assignee, action.owner.code) == (case, police, "fife-council-asb")
    text = client.get(base).content.decode()
    assert f"/incidents/{incident.pk}/" in text
    assert "Patrol the shops on Friday nights" in text
    assert "Fridays, after 10pm" in text
    assert "16 Red, latest" in text
    # Closing waits for the action.
    response = client.post(base + "close/", {"close-outcome": "resolved", "close-notes": "Calm"})
    assert response.status_code == 422
    assert "1 action is still open" in response.content.decode()
    post("incidents/unlink/", {"link-incident": str(incident.pk)})
    assert not case.incident_links.exists()


def test_a_refused_change_shows_the_error_on_its_field(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    client = client_for(council)
    response = client.post(f"{LIST}{case.pk}/risk/", {"risk-likelihood": "9", "risk-rationale": ""})
    assert response.status_code == 422
    text = response.content.decode()
    assert 'href="#id_risk-likelihood"' in text
    assert "Say why you rate the risk this way" in text
    assert not case.risk_assessments.exists()


def test_an_incident_the_owner_may_not_see_cannot_be_linked_from_the_page(staff):
    council, nhs = staff["fife-council-asb"], staff["nhs-fife"]
    case = open_case(council)
    hidden = record(nhs, themes=["mental_health"])
    response = client_for(council).post(
        f"{LIST}{case.pk}/incidents/link/", {"link-incident": str(hidden.pk)}
    )
    assert response.status_code == 422
    assert f"There is no incident {hidden.pk} that you may see" in response.content.decode()
    assert not case.incident_links.exists()


def test_a_partner_who_sees_the_case_gets_no_forms_and_cannot_change_it(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    case = open_case(council)
    client = client_for(police)
    text = client.get(f"{LIST}{case.pk}/").content.decode()
    assert "Save the risk assessment" not in text and "Close the case" not in text
    response = client.post(
        f"{LIST}{case.pk}/stage/", {"stage-stage": "analysis", "stage-notes": "Mine now"}
    )
    assert response.status_code == 422
    assert "Only the organisation that leads the case can change it" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == "scanning"


def test_the_owner_closes_and_reopens_a_case(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    client = client_for(council)
    base = f"{LIST}{case.pk}/"
    assert (
        client.post(base + "close/", {"close-outcome": "reduced", "close-notes": "Fewer"})[
            "Location"
        ]
        == base
    )
    text = client.get(base).content.decode()
    assert "Harm reduced" in text and "Reopen the case" in text
    assert client.post(base + "reopen/", {"reopen-reason": "It started again"}).status_code == 302
    case.refresh_from_db()
    assert case.stage == "assessment"


def test_the_change_endpoints_answer_only_posts(staff):
    case = open_case(staff["fife-council-asb"])
    client = client_for(staff["fife-council-asb"])
    assert client.get(f"{LIST}{case.pk}/close/").status_code == 405


def _queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_list_takes_as_many_queries_for_thirty_cases_as_for_three(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    client = client_for(police)
    for _ in range(3):
        open_case(council)
    few = _queries_for(client, LIST)
    for _ in range(27):
        open_case(council)
    assert _queries_for(client, LIST) == few
