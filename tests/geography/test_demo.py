"""The demo geography: Dundee and Angus as a grid of square data zones."""

import pytest
from django.db.models import Count, Max, Min

from saferhub.geography.demo import demo_geography_load
from saferhub.geography.models import DataZone, IntermediateZone, PostcodeLookup
from saferhub.geography.selectors import data_zone_for

pytestmark = pytest.mark.django_db


def test_it_makes_a_plausible_geography_that_resolves():
    count = demo_geography_load(seed=7)
    assert 300 <= count <= 400
    assert DataZone.objects.count() == count
    figures = DataZone.objects.aggregate(
        Min("simd_rank"), Max("simd_rank"), Min("population"), Max("population")
    )
    assert figures["simd_rank__min"] >= 1 and figures["simd_rank__max"] <= 6976
    assert figures["simd_rank__max"] - figures["simd_rank__min"] > 5000
    assert figures["population__min"] >= 500 and figures["population__max"] <= 1000
    assert set(DataZone.objects.values_list("council_area__code", flat=True)) == {
        "S12000041",
        "S12000042",
    }
    sizes = IntermediateZone.objects.annotate(n=Count("data_zones")).values_list("n", flat=True)
    assert set(sizes) == {6}
    districts = {p.split()[0] for p in PostcodeLookup.objects.values_list("postcode", flat=True)}
    assert districts == {"DD1", "DD2", "DD3", "DD4", "DD5"}
    # Every postcode's grid reference lies in its own data zone.
    for lookup in PostcodeLookup.objects.select_related("data_zone")[:50]:
        zone = data_zone_for(easting=lookup.easting, northing=lookup.northing)
        assert zone == lookup.data_zone
    assert data_zone_for(easting=340000 + 10, northing=730000 + 10) is not None


def test_loading_again_with_the_same_seed_changes_nothing():
    demo_geography_load(seed=3)
    before = list(DataZone.objects.values_list().order_by("code"))
    postcodes = list(PostcodeLookup.objects.values_list("postcode", "data_zone__code"))
    demo_geography_load(seed=3)
    assert list(DataZone.objects.values_list().order_by("code")) == before
    assert sorted(PostcodeLookup.objects.values_list("postcode", "data_zone__code")) == sorted(
        postcodes
    )
