"""The demo cases: every SARA stage, one red, one closed, actions late and done."""

import pytest
from django.utils import timezone

from saferhub.actions.models import Action
from saferhub.actions.selectors import overdue_q
from saferhub.cases.models import Case
from saferhub.demo.cases import demo_cases_load
from saferhub.partnerships.models import Partnership
from tests.cases.conftest import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def fife_with_incidents(staff) -> Partnership:
    for user in staff.values():
        for themes in (["asb"], ["fire_safety"], ["mental_health"], ["asb"]):
            record(user, themes=themes)
    return Partnership.objects.get(code="fife")


def test_the_demo_cases_cover_every_stage_and_what_a_meeting_looks_for(fife_with_incidents):
    now = timezone.now()
    assert demo_cases_load(partnership=fife_with_incidents, seed=7, now=now) == 8
    cases = Case.objects.filter(partnership=fife_with_incidents)
    assert {c.stage for c in cases} == {"scanning", "analysis", "response", "assessment", "closed"}
    assert cases.filter(rag="red", stage__in=["response", "analysis"]).count() == 1
    closed = cases.get(stage="closed")
    assert closed.closure_outcome == "reduced" and closed.closed_at is not None
    assert not closed.actions.filter(status__in=["open", "in_progress"]).exists()
    assert cases.filter(restricted=True).count() == 1
    assert sum(c.risk_assessments.count() > 1 for c in cases) >= 3
    actions = Action.objects.filter(partnership=fife_with_incidents)
    assert actions.filter(overdue_q(timezone.localdate())).exists()
    assert actions.filter(status="done").count() >= 3
    # Each linked incident is the case owner's own, with a theme of the case.
    for case in cases:
        for link in case.incident_links.select_related("incident"):
            assert link.incident.owner_id == case.owner_id
            assert link.incident.theme_mask & case.theme_mask


def test_loading_again_changes_nothing_and_the_seed_decides(fife_with_incidents):
    now = timezone.now()
    demo_cases_load(partnership=fife_with_incidents, seed=7, now=now)
    links = sorted(Case.objects.values_list("title", "incident_links__incident_id"), key=str)
    assert demo_cases_load(partnership=fife_with_incidents, seed=7, now=now) == 0
    assert Case.objects.count() == 8
    Action.objects.all().delete()
    Case.objects.all().delete()
    demo_cases_load(partnership=fife_with_incidents, seed=7, now=now)
    again = sorted(Case.objects.values_list("title", "incident_links__incident_id"), key=str)
    assert again == links
