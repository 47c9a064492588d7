"""The demo's initiatives: the planted effect is found, the null one is not."""

import datetime

import pytest
from django.utils import timezone

from saferhub.demo.initiatives import demo_initiatives_load
from saferhub.evaluation.models import Evaluation, Initiative
from saferhub.partnerships.models import Organisation
from tests.conftest import add_user

NOW = timezone.make_aware(datetime.datetime(2026, 6, 15, 12, 0))


STAFF = ("police-fife", "sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha")


@pytest.fixture
def staff(fife):
    """A practitioner in each Fife organisation (who record the demo's incidents)."""
    return {
        code: add_user(
            f"worker.{code}",
            partnership=fife,
            organisation=Organisation.objects.get(code=code),
            roles=["practitioner"],
        )
        for code in STAFF
    }


def test_the_planted_effect_is_found_and_the_null_one_is_not(fife, staff):
    assert demo_initiatives_load(partnership=fife, seed=7, now=NOW) == 3

    found = {e.initiative.title: e for e in Evaluation.objects.select_related("initiative")}
    visits = found["Targeted home fire safety visits"].result
    road = found["Pre-driver road-safety day"].result
    assert visits["method"] == "did-panel" and visits["msms_level"] == 3
    assert visits["effect"] < 0 and visits["p_value"] < 0.05
    assert road["method"] == "its" and road["msms_level"] == 2
    assert road["p_value"] >= 0.05
    assert found["Mental-health triage pilot"].result["method"] == "synthetic-control"
    assert Initiative.objects.filter(published_at__isnull=False).count() == 1


def test_loading_again_changes_nothing(fife, staff):
    demo_initiatives_load(partnership=fife, seed=7, now=NOW)
    assert demo_initiatives_load(partnership=fife, seed=7, now=NOW) == 0
    assert Initiative.objects.count() == 3
