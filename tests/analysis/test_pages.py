"""The Analysis area's pages and the strategic assessment pack."""

import datetime
import json
import re
import zlib

import pytest
from django.utils import timezone

from saferhub.analysis.services import default_period
from saferhub.audit.models import AuditEvent
from saferhub.geography.demo import demo_geography_load
from saferhub.geography.models import DataZone
from tests.analysis.test_selectors import (
    PERIOD,
    aggregate_protocol,
    analyst,
    days_ago,
    practitioners,
)
from tests.incidents.conftest import client_for, record

PAGES = ["", "trends/", "repeats/", "near-repeats/", "hotspots/", "deprivation/", "assessment/"]
# Dundee's demo data zones (S01090000 is the south-west corner of the demo grid).
ZONES = ["S01090001", "S01090002", "S01090025", "S01090026", "S01090050"]


@pytest.fixture
def staff(fife):
    return practitioners(fife)


def url(page: str) -> str:
    return f"/partnerships/fife/analysis/{page}"


def show(client, page: str, **params):
    """The page for the last 365 days to today (the default is the last complete months)."""
    period = {"from": str(PERIOD["date_from"]), "to": str(PERIOD["date_to"])}
    return client.get(url(page), {**period, **params})


@pytest.fixture
def police_incidents(fife, staff):
    """Twelve asb incidents by the police in demo data zones, 7 at one address."""
    demo_geography_load()
    for number in range(12):
        record(
            staff["police-fife"],
            fife,
            occurred_at=days_ago(number * 4),
            data_zone=ZONES[number % len(ZONES)] if number >= 7 else ZONES[0],
            address="4 Mill Wynd" if number < 7 else f"{number} High Street",
            postcode="",
            category="housebreaking" if number % 2 else "noise",
        )


@pytest.mark.parametrize("page", PAGES)
def test_an_analyst_opens_each_page(fife, police_incidents, page):
    response = show(client_for(analyst(fife, "police-fife")), page)
    assert response.status_code == 200
    assert b"Analysis" in response.content


def test_the_pages_show_the_figures_as_tables_and_charts(fife, police_incidents):
    client = client_for(analyst(fife, "police-fife"))
    trends = show(client, "trends/", by="category").content.decode()
    assert 'id="monthly"' in trends and 'id="trends-chart-spec"' in trends
    assert '<th scope="row">Noise nuisance</th>' in trends
    hotspots = show(client, "hotspots/").content.decode()
    assert 'id="hotspot-geojson"' in hotspots and 'id="hotspots"' in hotspots
    assert "S01090001" in hotspots
    deprivation = show(client, "deprivation/").content.decode()
    assert 'id="quintiles"' in deprivation and 'id="deciles"' in deprivation
    repeats = show(client, "repeats/").content.decode()
    assert 'id="top-locations"' in repeats and "S01090001" in repeats
    assert "Mill Wynd" not in repeats


def test_only_analysts_coordinators_and_managers_may_enter(fife, staff):
    assert client_for(staff["police-fife"]).get(url("")).status_code == 403
    for role in ("coordinator", "manager"):
        from tests.conftest import add_user

        user = add_user(
            f"{role}.police",
            partnership=fife,
            organisation=staff["police-fife"].organisation,
            roles=[role],
        )
        assert show(client_for(user), "trends/").status_code == 200


def test_a_partnership_the_user_is_not_in_is_not_found(fife, staff):
    user = analyst(fife, "police-fife")
    assert client_for(user).get("/partnerships/lothian/analysis/").status_code == 404


def test_a_partner_without_an_analysis_protocol_sees_nothing_of_the_police(fife, police_incidents):
    client = client_for(analyst(fife, "kingdom-ha"))
    for page in PAGES:
        text = show(client, page).content.decode()
        assert "S01090001" not in text or "hotspot" in page, page
    trends = show(client, "trends/").content.decode()
    assert "No incidents you may count in this period." in trends
    repeats = show(client, "repeats/").content.decode()
    assert "No incidents you may count name locations" in repeats


def test_an_aggregate_partner_sees_counts_only_with_small_ones_suppressed(fife, police_incidents):
    aggregate_protocol(fife, "police-fife", "nhs-fife")
    client = client_for(analyst(fife, "nhs-fife"))
    trends = show(client, "trends/", by="category").content.decode()
    assert "fewer than 5" in trends
    # Six of each category: the totals are published, the months (1 to 4 each) are not.
    assert '<th scope="row">Noise nuisance</th><td>6</td>' in trends
    repeats = show(client, "repeats/").content.decode()
    assert "No location you may see listed" in repeats


def test_a_chart_holds_no_figure_the_table_suppresses(fife, police_incidents):
    aggregate_protocol(fife, "police-fife", "nhs-fife")
    response = show(client_for(analyst(fife, "nhs-fife")), "trends/", by="category")
    spec = json.loads(
        re.search(
            r'<script id="trends-chart-spec" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.DOTALL,
        ).group(1)
    )
    counts = [value["count"] for value in spec["data"]["values"]]
    assert None in counts  # the suppressed months are gaps
    assert all(count is None or count == 0 or count >= 5 for count in counts)


def test_a_bad_date_is_named_and_the_default_period_used(fife, police_incidents):
    client = client_for(analyst(fife, "police-fife"))
    response = show(client, "trends/", **{"from": "last tuesday"})
    assert response.status_code == 200
    assert "The start date must be a date" in response.content.decode()
    assert response.context["scope"].date_from == default_period(timezone.localdate())[0]


def test_the_default_period_is_the_last_twelve_complete_months():
    assert default_period(datetime.date(2026, 12, 1)) == (
        datetime.date(2025, 12, 1),
        datetime.date(2026, 11, 30),
    )
    assert default_period(datetime.date(2024, 3, 15)) == (
        datetime.date(2023, 3, 1),
        datetime.date(2024, 2, 29),
    )


def test_the_assessment_pack_is_a_page_and_a_pdf(fife, police_incidents):
    client = client_for(analyst(fife, "police-fife"))
    page = show(client, "assessment/").content.decode()
    assert "12 incidents were recorded in the period" in page
    assert "data:image/svg+xml;base64," in page
    response = show(client, "assessment.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # WeasyPrint puts the document's description (the headline) in the PDF's metadata.
    assert b"12 incidents were recorded in the period" in pdf_objects(response.content)
    # A download leaves the hub: audited, as every export is.
    event = AuditEvent.objects.get(action="export")
    assert (event.purpose, event.partnership_code) == ("analysis", "fife")
    assert event.detail["export"] == "strategic_assessment"


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's objects with their compressed streams opened."""
    parts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_a_map_with_an_island_says_so_instead_of_failing(fife, police_incidents):
    corner = DataZone.objects.get(code=ZONES[0])
    DataZone.objects.create(
        code="S01099999",
        name="An island",
        intermediate_zone=corner.intermediate_zone,
        council_area=corner.council_area,
        population=600,
        simd_rank=3000,
        boundary=json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[-2.0, 57.0], [-1.99, 57.0], [-1.99, 57.01], [-2.0, 57.0]]],
            }
        ),
    )
    client = client_for(analyst(fife, "police-fife"))
    hotspots = show(client, "hotspots/")
    assert hotspots.status_code == 200
    assert "have no neighbours with queen weights: S01099999" in hotspots.content.decode()
    pack = show(client, "assessment/").content.decode()
    assert "Hotspots: 1 area(s) have no neighbours" in pack
