"""Cases follow the sharing rules with their own themes; each linked incident and each
action is shown by its own rules, never by the case's."""

import datetime

import pytest
from django.utils import timezone

from saferhub.actions.services import ActionInput
from saferhub.audit.models import AuditEvent
from saferhub.cases.models import Case
from saferhub.cases.selectors import (
    case_access,
    case_incidents,
    case_visible_to,
    cases_visible_to,
    open_red_cases,
)
from saferhub.cases.services import case_action_add, case_link_incident, risk_assess
from saferhub.partnerships.models import Partnership
from saferhub.sharing.engine import reader_for
from saferhub.sharing.pseudonyms import pseudonym, subject_key
from tests.cases.conftest import client_for, open_case, person_of, record

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def reader(user):
    return reader_for(user, "tasking")


def page_of(user, case):
    return client_for(user).get(f"/partnerships/fife/cases/{case.pk}/")


def test_a_protocol_partner_sees_an_asb_case_in_full(staff):
    case = open_case(staff["fife-council-asb"], themes=["asb"])
    for code in ("police-fife", "sfrs-fife"):  # fife-isp: asb at personal, all signatories
        found, access = case_visible_to(reader=reader(staff[code]), case_id=case.pk)
        assert (found, access.level) == (case, "personal")
        assert access.shared_under.protocol_code == "fife-isp"


def test_a_relevant_partner_under_a_depersonalised_protocol_sees_no_names(staff):
    council, housing = staff["fife-council-asb"], staff["kingdom-ha"]
    person = person_of(council, given_name="Darren", family_name="Kelso")
    case = open_case(
        council,
        title="Darren Kelso's flat used for dealing",
        subject="person",
        person_record_id=person.pk,
        themes=["cuckooing"],
        relevant_partners=["kingdom-ha"],
    )
    assert case_access(reader(housing), case).level == "depersonalised"
    page = page_of(housing, case)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Kelso" not in text and "Darren" not in text and "dealing" not in text
    key = subject_key(
        partnership_code="fife",
        given_name="Darren",
        family_name="Kelso",
        date_of_birth=person.date_of_birth,
    )
    assert pseudonym(key) in text
    assert "Cuckooing" in text


def test_the_same_protocol_shows_nothing_to_a_signatory_not_named_relevant(staff):
    case = open_case(staff["fife-council-asb"], themes=["cuckooing"])
    housing = staff["kingdom-ha"]
    assert case_access(reader(housing), case).level == "none"
    assert page_of(housing, case).status_code == 404
    assert case not in cases_visible_to(reader=reader(housing))


def test_a_case_at_none_is_absent_from_the_list_and_its_page_is_404(staff):
    case = open_case(staff["fife-council-asb"], title="Council only matter", themes=["asb"])
    nhs = staff["nhs-fife"]  # signs no protocol
    client = client_for(nhs)
    listing = client.get("/partnerships/fife/cases/")
    assert listing.status_code == 200
    assert "Council only matter" not in listing.content.decode()
    assert f"/cases/{case.pk}/" not in listing.content.decode()
    assert client.get(f"/partnerships/fife/cases/{case.pk}/").status_code == 404
    missing = client.get(f"/partnerships/fife/cases/{case.pk + 999}/")
    assert missing.status_code == 404
    assert (
        client.post(
            f"/partnerships/fife/cases/{case.pk}/risk/",
            {"risk-likelihood": "5", "risk-impact": "5", "risk-rationale": "x"},
        ).status_code
        == 404
    )


def test_a_case_with_a_theme_outside_every_protocol_is_seen_by_its_owner_only(staff):
    case = open_case(staff["police-fife"], themes=["asb", "domestic_abuse"])
    for code in ("sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha"):
        assert page_of(staff[code], case).status_code == 404
    assert page_of(staff["police-fife"], case).status_code == 200


def test_a_restricted_case_is_for_its_relevant_partners_only(staff):
    case = open_case(
        staff["police-fife"],
        title="Restricted concern",
        themes=["asb"],
        restricted=True,
        relevant_partners=["nhs-fife"],
    )
    assert case_access(reader(staff["nhs-fife"]), case).level == "personal"
    assert "Restricted concern" in page_of(staff["nhs-fife"], case).content.decode()
    # The council signs fife-isp for asb, but the case is restricted.
    assert page_of(staff["fife-council-asb"], case).status_code == 404
    assert not cases_visible_to(reader=reader(staff["fife-council-asb"])).exists()


def test_a_linked_incident_the_reader_may_not_see_is_neither_shown_nor_counted(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    case = open_case(council, themes=["asb"])
    shared = record(council, themes=["asb"], category="noise")
    private = record(council, themes=["domestic_abuse"], category="domestic_incident")
    case_link_incident(user=council, case=case, incident_id=shared.pk)
    case_link_incident(user=council, case=case, incident_id=private.pk)
    assert {i.pk for i, _ in case_incidents(reader=reader(council), case=case)} == {
        shared.pk,
        private.pk,
    }
    assert [i.pk for i, _ in case_incidents(reader=reader(police), case=case)] == [shared.pk]
    text = page_of(police, case).content.decode()
    assert f"/incidents/{shared.pk}/" in text
    assert f"/incidents/{private.pk}/" not in text
    assert "Domestic" not in text


def test_an_action_of_the_case_is_shown_by_its_own_rules(staff):
    police, council, housing = staff["police-fife"], staff["fife-council-asb"], staff["kingdom-ha"]
    case = open_case(council, themes=["asb"], relevant_partners=["kingdom-ha"])
    case_action_add(
        user=council,
        case=case,
        data=ActionInput(
            title="Mediation with neighbours",
            assignee_organisation="fife-council-asb",
            due_on=TOMORROW,
            themes=["asb", "domestic_abuse"],
        ),
    )
    assert "Mediation with neighbours" in page_of(council, case).content.decode()
    # The police see the case in full, but no protocol covers the action's domestic abuse.
    police_page = page_of(police, case).content.decode()
    assert "Mediation" not in police_page and "No actions that you may see" in police_page
    assert "No actions that you may see" in page_of(housing, case).content.decode()


def test_reading_another_organisations_case_is_audited_with_its_protocol(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    person = person_of(council)
    case = open_case(council, subject="person", person_record_id=person.pk)
    page_of(council, case)
    assert not AuditEvent.objects.filter(action="read", record_type="case").exists()
    page_of(police, case)
    event = AuditEvent.objects.get(action="read", record_type="case")
    assert (event.record_id, event.level, event.protocol_code, event.actor_username) == (
        case.pk,
        "personal",
        "fife-isp",
        police.username,
    )
    assert event.subjects.count() == 1


def test_open_red_cases_lists_what_the_reader_may_see(staff):
    council, police, nhs = staff["fife-council-asb"], staff["police-fife"], staff["nhs-fife"]
    red = open_case(council, themes=["asb"])
    amber = open_case(council, themes=["asb"])
    hidden = open_case(council, themes=["domestic_abuse"])
    risk_assess(user=council, case=red, likelihood=5, impact=5, rationale="x")
    risk_assess(user=council, case=amber, likelihood=3, impact=3, rationale="x")
    risk_assess(user=council, case=hidden, likelihood=5, impact=5, rationale="x")
    fife = Partnership.objects.get(code="fife")
    assert [c for c, _ in open_red_cases(reader=reader(police), partnership=fife)] == [red]
    assert {c for c, _ in open_red_cases(reader=reader(council), partnership=fife)} == {
        red,
        hidden,
    }
    assert open_red_cases(reader=reader(nhs), partnership=fife) == []
    assert Case.objects.count() == 3
