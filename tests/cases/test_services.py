"""Opening, working and closing cases: validation, stages, and who may change a case."""

import datetime

import pytest
from django.utils import timezone

from saferhub.actions.services import ActionInput, action_update
from saferhub.audit.models import AuditEvent
from saferhub.cases.models import Case, CaseIncident, RiskAssessment, Stage
from saferhub.cases.services import (
    CaseInput,
    CaseInvalid,
    case_action_add,
    case_close,
    case_link_incident,
    case_move_stage,
    case_open,
    case_reopen,
    case_review,
    case_unlink_incident,
    risk_assess,
)
from saferhub.partnerships.models import Partnership
from tests.cases.conftest import open_case, person_of, place_of, record

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def test_a_case_about_a_person_records_the_owner_and_lead(staff):
    council = staff["fife-council-asb"]
    person = person_of(council)
    case = open_case(
        council, subject="person", person_record_id=person.pk, relevant_partners=["police-fife"]
    )
    assert case.owner.code == "fife-council-asb"
    assert case.lead == council
    assert case.stage == Stage.SCANNING
    assert [o.code for o in case.relevant_partners.all()] == ["police-fife"]
    assert AuditEvent.objects.filter(action="case_open").count() == 1


def test_a_case_about_a_place_takes_its_data_zone(staff):
    council = staff["fife-council-asb"]
    place = place_of(council, data_zone="S01009555")
    case = open_case(council, subject="place", place_record_id=place.pk)
    assert case.data_zone == "S01009555"


def test_opening_names_every_field_that_is_wrong_and_stores_nothing(staff):
    council = staff["fife-council-asb"]
    with pytest.raises(CaseInvalid) as caught:
        open_case(
            council,
            title="  ",
            subject="group",
            themes=["asb", "knitting"],
            data_zone="KY1 1AA",
            relevant_partners=["nobody"],
            next_review_on=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert set(caught.value.errors) == {
        "title",
        "group_description",
        "themes",
        "data_zone",
        "relevant_partners",
        "next_review_on",
    }
    assert "knitting" in caught.value.errors["themes"]
    assert not Case.objects.exists()


def test_a_case_can_only_be_about_the_organisations_own_records(staff):
    police_person = person_of(staff["police-fife"])
    with pytest.raises(CaseInvalid) as caught:
        open_case(staff["fife-council-asb"], subject="person", person_record_id=police_person.pk)
    assert caught.value.errors == {
        "person_record": "Choose a person your organisation holds a record of"
    }
    with pytest.raises(CaseInvalid) as caught:
        open_case(staff["fife-council-asb"], subject="place", place_record_id=None)
    assert "place_record" in caught.value.errors


def test_a_restricted_case_must_name_its_relevant_partners(staff):
    with pytest.raises(CaseInvalid) as caught:
        open_case(staff["police-fife"], restricted=True)
    assert "relevant_partners" in caught.value.errors


def test_someone_with_no_role_in_the_partnership_cannot_open_a_case(staff):
    outsider = staff["police-fife"]
    outsider.role_assignments.all().delete()
    with pytest.raises(CaseInvalid) as caught:
        case_open(
            user=outsider,
            partnership=Partnership.objects.get(code="fife"),
            data=CaseInput(title="A", subject="problem", themes=["asb"]),
        )
    assert "user" in caught.value.errors


def test_risk_assessments_keep_their_history_and_set_the_cases_rating(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    risk_assess(user=council, case=case, likelihood=2, impact=2, rationale="Quiet week")
    risk_assess(user=council, case=case, likelihood=5, impact=4, rationale="Threats made")
    case.refresh_from_db()
    assert case.rag == "red"
    assert [a.rag for a in RiskAssessment.objects.filter(case=case)] == ["green", "red"]


@pytest.mark.parametrize(
    ("likelihood", "impact", "rationale", "fields"),
    [
        (0, 3, "x", {"likelihood"}),
        (3, 6, "x", {"impact"}),
        (True, 3, "x", {"likelihood"}),
        (3, 3, " ", {"rationale"}),
    ],
)
def test_a_risk_assessment_out_of_range_is_refused(staff, likelihood, impact, rationale, fields):
    council = staff["fife-council-asb"]
    case = open_case(council)
    with pytest.raises(CaseInvalid) as caught:
        risk_assess(
            user=council, case=case, likelihood=likelihood, impact=impact, rationale=rationale
        )
    assert set(caught.value.errors) == fields
    assert not RiskAssessment.objects.exists()


def test_stages_move_on_one_at_a_time_and_may_go_back(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    with pytest.raises(CaseInvalid, match="Work through analysis before response"):
        case_move_stage(user=council, case=case, stage="response", notes="")
    case_move_stage(user=council, case=case, stage="analysis", notes="Mostly Friday nights")
    case_move_stage(user=council, case=case, stage="response", notes="Patrols and mediation")
    case_move_stage(user=council, case=case, stage="analysis", notes="Look again at CCTV")
    case.refresh_from_db()
    assert case.stage == "analysis"
    assert case.analysis_notes == "Look again at CCTV"
    assert case.response_plan == "Patrols and mediation"
    with pytest.raises(CaseInvalid) as caught:
        case_move_stage(user=council, case=case, stage="analysis", notes="")
    assert "notes" in caught.value.errors
    with pytest.raises(CaseInvalid):
        case_move_stage(user=council, case=case, stage="closed", notes="Done")


def test_only_the_owner_organisation_may_change_a_case(staff):
    case = open_case(staff["fife-council-asb"])
    police = staff["police-fife"]
    for change in (
        lambda: risk_assess(user=police, case=case, likelihood=1, impact=1, rationale="x"),
        lambda: case_move_stage(user=police, case=case, stage="analysis", notes="x"),
        lambda: case_review(user=police, case=case, notes="x", next_review_on=TOMORROW),
        lambda: case_close(user=police, case=case, outcome="resolved", notes="x"),
    ):
        with pytest.raises(CaseInvalid) as caught:
            change()
        assert "user" in caught.value.errors
    case.refresh_from_db()
    assert case.stage == "scanning" and case.rag == ""


def test_a_review_sets_the_next_review_date_which_must_be_after_today(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    with pytest.raises(CaseInvalid) as caught:
        case_review(user=council, case=case, notes="", next_review_on=timezone.localdate())
    assert set(caught.value.errors) == {"notes", "next_review_on"}
    case_review(user=council, case=case, notes="Calmer", next_review_on=TOMORROW)
    case.refresh_from_db()
    assert case.next_review_on == TOMORROW
    assert case.reviews.get().reviewed_on == timezone.localdate()


def test_a_case_with_open_actions_cannot_close_until_they_are_done(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    case = open_case(council)
    action = case_action_add(
        user=council,
        case=case,
        data=ActionInput(
            title="Visit", assignee_organisation="police-fife", due_on=TOMORROW, themes=[]
        ),
    )
    assert action.case == case and action.theme_mask == case.theme_mask
    with pytest.raises(CaseInvalid) as caught:
        case_close(user=council, case=case, outcome="resolved", notes="Quiet")
    assert caught.value.errors == {
        "actions": "1 action is still open: mark them done or cancel them first"
    }
    action_update(user=police, action=action, status="done", note="Visited")
    case_close(user=council, case=case, outcome="resolved", notes="Quiet for a month")
    case.refresh_from_db()
    assert case.stage == "closed" and case.closure_outcome == "resolved"
    assert case.closed_at is not None


def test_a_closed_case_changes_only_by_reopening(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    case_close(user=council, case=case, outcome="no_longer_needed", notes="Moved away")
    with pytest.raises(CaseInvalid, match="closed"):
        risk_assess(user=council, case=case, likelihood=3, impact=3, rationale="x")
    with pytest.raises(CaseInvalid) as caught:
        case_reopen(user=council, case=case, reason=" ")
    assert "reason" in caught.value.errors
    case_reopen(user=council, case=case, reason="Back at the address")
    case.refresh_from_db()
    assert case.stage == "assessment" and case.closed_at is None and case.closure_outcome == ""
    assert "Back at the address" in case.assessment_notes
    with pytest.raises(CaseInvalid, match="already open"):
        case_reopen(user=council, case=case, reason="again")


def test_an_unknown_outcome_is_refused(staff):
    council = staff["fife-council-asb"]
    case = open_case(council)
    with pytest.raises(CaseInvalid) as caught:
        case_close(user=council, case=case, outcome="happy", notes="")
    assert set(caught.value.errors) == {"outcome", "notes"}


def test_linking_takes_an_incident_the_user_may_see_and_only_once(staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    case = open_case(council)
    shared = record(police, themes=["asb"])  # fife-isp: personal to the council
    case_link_incident(user=council, case=case, incident_id=shared.pk)
    with pytest.raises(CaseInvalid, match="already linked"):
        case_link_incident(user=council, case=case, incident_id=shared.pk)
    case_unlink_incident(user=council, case=case, incident_id=shared.pk)
    assert not CaseIncident.objects.exists()
    with pytest.raises(CaseInvalid, match="not linked"):
        case_unlink_incident(user=council, case=case, incident_id=shared.pk)


def test_an_incident_the_user_may_not_see_is_answered_as_missing(staff):
    council, nhs = staff["fife-council-asb"], staff["nhs-fife"]
    case = open_case(council)
    hidden = record(nhs, themes=["mental_health"])  # no protocol: none to the council
    with pytest.raises(CaseInvalid) as caught:
        case_link_incident(user=council, case=case, incident_id=hidden.pk)
    with pytest.raises(CaseInvalid) as missing:
        case_link_incident(user=council, case=case, incident_id=hidden.pk + 1000)
    assert caught.value.errors["incident"].replace(str(hidden.pk), "N") == missing.value.errors[
        "incident"
    ].replace(str(hidden.pk + 1000), "N")
    assert not CaseIncident.objects.exists()
