"""The partnership's pages: home, protocols, areas to come, switching, the admin site."""

import datetime

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from saferhub.partnerships.models import User
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply
from saferhub.sharing.models import Protocol
from tests.conftest import EXAMPLE_FILE, log_in

pytestmark = pytest.mark.django_db


def page_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def jo(practitioner) -> Client:
    client = Client()
    log_in(client, practitioner)
    return client


def test_home_shows_members_posts_and_protocols(jo):
    page = page_of(jo, "/partnerships/fife/")
    assert "Fife Community Safety Partnership" in page
    assert "Kingdom Housing Association" in page
    assert "A little involved" in page
    assert "Home fire safety advocate" in page
    assert "£79,000" in page
    assert "Fife Community Safety Information Sharing Protocol" in page


def test_home_lists_only_protocols_in_force(jo, fife):
    Protocol.objects.filter(code="fife-asb").update(status="suspended")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Protocol.objects.filter(code="fife-isp").update(expires_on=yesterday)
    page = page_of(jo, "/partnerships/fife/")
    assert "Fife Antisocial Behaviour Protocol" not in page
    assert "Fife Community Safety Information Sharing Protocol" not in page
    assert "No Information Sharing Protocol is in force today" in page


def test_home_warns_of_a_review_within_sixty_days(jo, fife):
    today = timezone.localdate()
    Protocol.objects.filter(code="fife-asb").update(review_by=today + datetime.timedelta(days=30))
    Protocol.objects.filter(code="fife-isp").update(review_by=today + datetime.timedelta(days=90))
    page = page_of(jo, "/partnerships/fife/")
    assert "Review in 30 days" in page
    assert "Review in 90 days" not in page


def test_the_side_navigation_names_every_area(jo):
    page = page_of(jo, "/partnerships/fife/")
    for area in (
        "Briefing",
        "Incidents",
        "People",
        "Places",
        "Referrals",
        "Cases",
        "Actions",
        "Meetings",
        "Initiatives",
        "Protocols",
    ):
        assert f">{area}</a>" in page
    assert ">Admin</a>" not in page  # jo is not an admin
    # The Analysis area is for analysts, coordinators and managers (docs/analysis.md).
    assert ">Analysis</a>" not in page


def test_each_area_page_is_marked_current_in_the_navigation(jo):
    for path, title in (
        ("briefing/", "Briefing"),
        ("referrals/", "Referrals"),
        ("cases/", "Cases"),
        ("actions/", "Actions"),
        ("meetings/", "Meetings"),
    ):
        page = page_of(jo, f"/partnerships/fife/{path}")
        assert f'aria-current="page">{title}</a>' in page, path
    assert jo.get("/partnerships/fife/nonsense/").status_code == 404


def test_a_partnership_the_user_is_not_in_is_not_found(jo):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["partnership"].update(code="kinross", name="Kinross Partnership")
    data["users"] = [u for u in data["users"] if u["username"] == "sam.boyd"]
    partnership_apply(document=validate_partnership_data(data))
    for url in (
        "/partnerships/kinross/",
        "/partnerships/kinross/protocols/",
        "/partnerships/kinross/incidents/",
        "/partnerships/switch/?partnership=kinross",
    ):
        assert jo.get(url).status_code == 404, url


def test_a_user_in_two_partnerships_switches_between_them(jo, practitioner):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["partnership"].update(code="kinross", name="Kinross Partnership")
    partnership_apply(document=validate_partnership_data(data))
    page = page_of(jo, "/partnerships/fife/")
    assert 'name="partnership"' in page and "Kinross Partnership" in page
    response = jo.get("/partnerships/switch/", {"partnership": "kinross"})
    assert response["Location"] == "/partnerships/kinross/"
    page_of(jo, "/partnerships/kinross/")
    # The hub remembers the last partnership.
    assert jo.get("/")["Location"] == "/partnerships/kinross/"


def test_a_user_with_no_partnership_is_told_so(fife):
    loner = User.objects.create_user("loner", password="whatever it is 1")
    client = Client()
    client.force_login(loner)
    assert "You are not in a partnership yet" in page_of(client, "/")


def test_protocols_list_and_page_show_versions(jo, fife):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["protocols"][0]["version"] = 4
    partnership_apply(document=validate_partnership_data(data))
    listing = page_of(jo, "/partnerships/fife/protocols/")
    assert "Superseded" in listing and "Active" in listing
    page = page_of(jo, "/partnerships/fife/protocols/fife-isp/v4/")
    assert "UK GDPR Art 6(1)(e); DPA 2018 Sch 1 para 6" in page
    assert "Police Scotland, Fife Division" in page
    assert "24 months" in page
    assert 'href="/partnerships/fife/protocols/fife-isp/v3/"' in page
    old = page_of(jo, "/partnerships/fife/protocols/fife-isp/v3/")
    assert "This version does not share any data today" in old
    assert jo.get("/partnerships/fife/protocols/fife-isp/v9/").status_code == 404


def test_the_admin_site_is_for_the_admin_role_only(fife, practitioner):
    admin = User.objects.get(username="ali.khan")
    client = Client()
    log_in(client, admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/partnerships/partnership/").status_code == 200
    assert ">Admin</a>" in page_of(client, "/partnerships/fife/")

    jo = Client()
    log_in(jo, practitioner)
    response = jo.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_site_needs_the_second_factor(fife):
    admin = User.objects.get(username="ali.khan")
    client = Client()
    client.force_login(admin)  # password only
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/second-factor/")


def test_health_answers_for_load_balancers(client, db):
    assert client.get("/health/").json() == {"status": "ok"}


def test_health_is_reachable_over_plain_http_when_https_is_enforced(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_the_audit_area_is_for_auditors_and_data_protection_leads(fife, practitioner):
    from saferhub.partnerships.models import Organisation
    from tests.conftest import add_user

    auditor = add_user(
        "auditor.fife",
        partnership=fife,
        organisation=Organisation.objects.get(code="fife-council-asb"),
        roles=["auditor"],
    )
    client = Client()
    log_in(client, auditor)
    assert ">Audit</a>" in page_of(client, "/partnerships/fife/")
    jo = Client()
    log_in(jo, practitioner)
    assert ">Audit</a>" not in page_of(jo, "/partnerships/fife/")
