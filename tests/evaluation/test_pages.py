"""The register's pages: who may do what, the forms' errors, the guided evaluation, the PDF."""

import datetime

import pytest
from django.utils import timezone

from saferhub.demo.initiatives import demo_initiatives_load
from saferhub.evaluation.models import Evaluation, Indicator, Initiative
from saferhub.partnerships.models import Organisation
from tests.conftest import add_user
from tests.incidents.conftest import client_for

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


@pytest.fixture
def analyst(fife):
    return add_user(
        "analyst.fire",
        partnership=fife,
        organisation=Organisation.objects.get(code="sfrs-fife"),
        roles=["analyst"],
    )


@pytest.fixture
def demo(fife, staff, analyst):
    demo_initiatives_load(partnership=fife, seed=7, now=NOW)
    return Initiative.objects.get(title="Targeted home fire safety visits")


def url(path: str) -> str:
    return f"/partnerships/fife/initiatives/{path}"


def test_the_register_lists_the_initiatives(demo, analyst):
    page = client_for(analyst).get(url(""))
    assert page.status_code == 200
    text = page.content.decode()
    for title in ("Targeted home fire safety visits", "Pre-driver road-safety day"):
        assert title in text


def test_a_practitioner_reads_but_cannot_register(demo, staff):
    client = client_for(staff["police-fife"])
    assert client.get(url("")).status_code == 200
    assert client.get(url("new/")).status_code == 403


def test_outsiders_get_404(demo, fife):
    outsider = add_user(
        "outsider",
        partnership=fife,
        organisation=Organisation.objects.get(code="nhs-fife"),
        roles=[],
    )
    assert client_for(outsider).get(url("")).status_code == 404


def test_an_invalid_initiative_names_the_fields(analyst):
    page = client_for(analyst).post(
        url("new/"), {"title": "", "starts_on": "31/02/2026", "prevention_level": "primary"}
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert "There is a problem" in text
    assert 'href="#id_title"' in text and "Enter the initiative&#x27;s title" in text
    assert "Enter the start date like 1/4/2025" in text
    assert "Choose at least one theme" in text


def test_an_end_before_the_start_is_refused_against_the_end_date(analyst):
    page = client_for(analyst).post(
        url("new/"),
        {
            "title": "Bonfire night patrols",
            "themes": ["fire_safety"],
            "prevention_level": "primary",
            "starts_on": "1/11/2025",
            "ends_on": "1/10/2025",
            "status": "planned",
        },
    )
    assert page.status_code == 422
    assert 'href="#id_ends_on"' in page.content.decode()


def test_registering_an_initiative_shows_its_page(analyst):
    client = client_for(analyst)
    page = client.post(
        url("new/"),
        {
            "title": "Bonfire night patrols",
            "themes": ["fire_safety"],
            "prevention_level": "primary",
            "starts_on": "1/11/2025",
            "data_zones": "s01009876, S01009877",
            "cost": "5000",
            "activities": "Patrols on 5 November",
            "status": "planned",
        },
        follow=True,
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Bonfire night patrols" in text and "S01009876, S01009877" in text
    assert "Patrols on 5 November" in text


def test_the_guided_evaluation_runs_and_keeps_versions(demo, analyst):
    client = client_for(analyst)
    outcome = Indicator.objects.get(initiative=demo, kind="outcome")
    start = client.get(url(f"{demo.pk}/evaluate/"))
    assert start.status_code == 200 and "Accidental dwelling fires" in start.content.decode()
    chosen = client.get(url(f"{demo.pk}/evaluate/"), {"chosen": "1", "indicator": outcome.pk})
    assert chosen.status_code == 302
    design = client.get(chosen["Location"])
    text = design.content.decode()
    assert "Difference-in-differences" in text and "SIMD rank" in text
    comparison = Evaluation.objects.get(indicator=outcome).parameters["comparison_zones"]
    ran = client.post(
        chosen["Location"],
        {"design": "did", "more_zones": " ".join(comparison), "unit_cost": "8500"},
    )
    assert ran.status_code == 302
    result = client.get(ran["Location"])
    text = result.content.decode()
    assert "Evaluation, version 2" in text
    assert "Maryland Scientific Methods Scale" in text and "Level 3" in text
    assert "data:image/svg+xml;base64," in text
    assert "incidents averted" in text
    versions = Evaluation.objects.filter(indicator=outcome).order_by("version")
    assert [e.version for e in versions] == [1, 2]


def test_a_comparison_design_without_comparison_areas_is_refused(demo, analyst):
    outcome = Indicator.objects.get(initiative=demo, kind="outcome")
    page = client_for(analyst).post(
        url(f"{demo.pk}/evaluate/{outcome.pk}/"), {"design": "did", "more_zones": ""}
    )
    assert page.status_code == 422
    text = page.content.decode()
    assert 'href="#id_design"' in text and "a comparison design needs comparison areas" in text


def test_another_organisation_does_not_see_the_figures(demo, fife):
    police_analyst = add_user(
        "analyst.police",
        partnership=fife,
        organisation=Organisation.objects.get(code="police-fife"),
        roles=["analyst"],
    )
    evaluation = Evaluation.objects.get(initiative=demo)
    client = client_for(police_analyst)
    page = client.get(url(f"{demo.pk}/evaluations/{evaluation.pk}/"))
    assert page.status_code == 403
    assert "not for your organisation" in page.content.decode()
    assert client.get(url(f"{demo.pk}/evaluations/{evaluation.pk}.pdf")).status_code == 404


def test_the_report_is_a_pdf(demo, analyst):
    evaluation = Evaluation.objects.get(initiative=demo)
    page = client_for(analyst).get(url(f"{demo.pk}/evaluations/{evaluation.pk}.pdf"))
    assert page.status_code == 200
    assert page["Content-Type"] == "application/pdf"
    assert page.content.startswith(b"%PDF")


def test_counts_under_5_are_suppressed_on_the_indicator_page(demo, analyst):
    outcome = Indicator.objects.get(initiative=demo, kind="outcome")
    text = client_for(analyst).get(url(f"{demo.pk}/indicators/{outcome.pk}/")).content.decode()
    assert "fewer than 5" in text
    for small in range(1, 5):
        assert f"<td>{small}.00</td>" not in text and f"<td>{small}</td>" not in text


def test_publishing_puts_the_summary_in_the_library(demo, analyst):
    road = Initiative.objects.get(title="Pre-driver road-safety day")
    client = client_for(analyst)
    empty = client.post(url(f"{road.pk}/publish/"), {"emmie_effect": "No change"})
    assert empty.status_code == 422
    assert 'href="#id_emmie_mechanism"' in empty.content.decode()
    fields = {
        "emmie_effect": "No change in collisions",
        "emmie_mechanism": "Awareness",
        "emmie_moderators": "Pupils about to drive",
        "emmie_implementation": "One day a school",
        "emmie_economic_cost": "£12,000",
    }
    page = client.post(url(f"{road.pk}/publish/"), fields, follow=True)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Practice library" in text and "No change in collisions" in text
    assert "Targeted home fire safety visits" in text


def test_adding_an_indicator_with_a_bad_upload_names_the_row(demo, analyst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("series.csv", b"month,visits\n2025-01,12\nlast month,x\n")
    page = client_for(analyst).post(
        url(f"{demo.pk}/indicators/new/"),
        {
            "name": "Visits",
            "kind": "output",
            "source": "upload",
            "granularity": "month",
            "upload": upload,
        },
    )
    assert page.status_code == 422
    assert "Data row 2" in page.content.decode()
