"""The demo's planted patterns are there for the Analysis pages to find."""

import pytest
from django.db import transaction
from django.utils import timezone

from saferhub.analysis.services import hotspots_analyse, near_repeat_analyse, repeats_analyse
from saferhub.demo.analysis_patterns import demo_patterns_load, demo_patterns_planted
from saferhub.geography.demo import demo_geography_load
from saferhub.incidents.models import Incident
from saferhub.places.models import PlaceRecord
from tests.analysis.test_selectors import analyst, scope_for

NOW = timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def dundee_fife(fife):
    """Fife, moved onto the demo geography's Dundee City data zones."""
    demo_geography_load()
    fife.local_authority = "Dundee City"
    fife.save()
    return fife


@pytest.fixture
def planted(dundee_fife):
    count, patterns = demo_patterns_planted(partnership=dundee_fife, seed=7, now=NOW)
    assert count > 300
    return patterns


def test_the_planted_hotspots_are_hot_at_95_percent(dundee_fife, planted):
    result = hotspots_analyse(
        scope_for(analyst(dundee_fife, "police-fife"), dundee_fife), permutations=99
    )
    spots = {zone["code"]: zone["spot"] for zone in result.zones}
    for code in planted.hotspot_zones:
        assert spots[code] in ("hot spot 95%", "hot spot 99%")
    assert sum(spot.startswith("hot") for spot in spots.values()) < len(spots) / 4


def test_the_housebreaking_series_is_a_significant_near_repeat(dundee_fife, planted):
    scope = scope_for(analyst(dundee_fife, "police-fife"), dundee_fife, category="housebreaking")
    result = near_repeat_analyse(scope, iterations=99)
    assert result.significant_near
    # Far apart (beyond the last distance band), pairs close in time are no more than chance.
    assert not any(cell["significant"] for cell in result.cells[-1][:-1])


def test_the_repeat_locations_top_the_list(dundee_fife, planted):
    result = repeats_analyse(scope_for(analyst(dundee_fife, "police-fife"), dundee_fife))
    top = result.top_locations[:3]
    assert len(top) == 3
    assert all(row["events"].value >= 8 for row in top)
    assert {row["data_zone"] for row in top} <= set(planted.hotspot_zones)


def test_loading_again_adds_nothing_and_the_seed_decides_the_places(dundee_fife, planted):
    assert demo_patterns_load(partnership=dundee_fife, seed=7, now=NOW) == 0
    with transaction.atomic():
        Incident.objects.filter(source_ref__startswith="PATTERN-").delete()
        PlaceRecord.objects.filter(source_ref__startswith="PATTERN-").delete()
        _, again = demo_patterns_planted(partnership=dundee_fife, seed=7, now=NOW)
        transaction.set_rollback(True)
    assert again.hotspot_zones == planted.hotspot_zones
    assert again.series_zone == planted.series_zone
