"""The demo: realistic, deterministic for a seed, loadable again without change."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP

from saferhub.demo.partnership_files import demo_partnership_files
from saferhub.demo.services import DEMO_PASSWORD, DEMO_TOTP_KEY_HEX, demo_load, demo_totp_code
from saferhub.partnerships.models import Membership, Partnership, RoleAssignment, User
from saferhub.partnerships.selectors import partnership_file_export
from saferhub.sharing.models import Protocol

TODAY = datetime.date(2026, 11, 23)


def test_the_same_seed_gives_the_same_demo():
    first = demo_partnership_files(size="small", seed=7, today=TODAY)
    assert first == demo_partnership_files(size="small", seed=7, today=TODAY)
    other = demo_partnership_files(size="small", seed=8, today=TODAY)
    assert [u["username"] for u in first[0]["users"]] != [u["username"] for u in other[0]["users"]]


@pytest.mark.parametrize(("size", "partnerships"), [("small", 2), ("medium", 3), ("large", 4)])
def test_sizes_grow(size, partnerships):
    files = demo_partnership_files(size=size, seed=1, today=TODAY)
    assert len(files) == partnerships


def test_an_unknown_size_is_refused():
    with pytest.raises(ValueError, match="size must be one of small, medium, large"):
        demo_partnership_files(size="huge", seed=1, today=TODAY)


# Loading the demo takes a while, so one test loads it, checks it, and loads it again.
@pytest.mark.django_db
def test_the_demo_is_realistic_and_loading_again_changes_nothing():
    first = demo_load(size="small", seed=2026, today=TODAY)
    dundee = Partnership.objects.get(code="dundee")
    memberships = Membership.objects.filter(partnership=dundee).select_related("organisation")
    assert len(memberships) == 8
    assert len({m.organisation.kind for m in memberships}) >= 6
    assert {m.involvement for m in memberships} == {"very", "fairly", "a_little", "not"}
    users = User.objects.filter(role_assignments__partnership=dundee).distinct()
    assert users.count() == 30
    roles = Counter(
        RoleAssignment.objects.filter(partnership=dundee).values_list("role", flat=True)
    )
    assert set(roles) == {
        "practitioner",
        "coordinator",
        "analyst",
        "manager",
        "data_protection_lead",
        "auditor",
        "admin",
    }
    assert dundee.funded_posts.count() >= 4
    in_force = Protocol.objects.filter(partnership=dundee).active_on(TODAY)
    assert in_force.count() == 3
    audiences = set(in_force.values_list("audience", flat=True))
    assert audiences == {"all_signatories", "relevant_partners"}
    # One protocol covers many themes among core partners; one is ASB only; one is adult
    # protection between fewer partners.
    by_code = {p.code: p for p in in_force}
    assert by_code["dundee-isp"].themes.count() >= 8
    assert set(by_code["dundee-asb"].themes.values_list("code", flat=True)) <= {"asb", "cuckooing"}
    assert (
        by_code["dundee-adult-protection"].signatories.count()
        < by_code["dundee-isp"].signatories.count()
    )
    # The main protocol has a history.
    assert Protocol.objects.filter(code="dundee-isp", status="superseded").exists()
    # Police and fire officers work in both partnerships.
    assert User.objects.get(username="demo.police").role_assignments.count() == 2

    # Its users log in with the published password and key; the manager works without a
    # second factor, so has no device.
    user = User.objects.get(username="demo.police")
    assert user.check_password(DEMO_PASSWORD)
    assert user.totpdevice_set.get().key == DEMO_TOTP_KEY_HEX
    assert not User.objects.get(username="demo.manager").totpdevice_set.exists()

    # The hub is at work in it.
    assert min(first.referrals, first.cases, first.briefings, first.meetings) > 0

    # Loading it again changes nothing.
    before = partnership_file_export(partnership=dundee)
    again = demo_load(size="small", seed=2026, today=TODAY)
    assert again.changes == 0
    assert (again.incidents, again.initiatives) == (0, 0)
    assert (again.referrals, again.cases, again.briefings, again.meetings) == (0, 0, 0, 0)
    assert partnership_file_export(partnership=Partnership.objects.get(code="dundee")) == before


def test_the_demo_code_is_the_current_code_of_the_demo_key():
    clock = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
    clock.time = 1_800_000_000
    assert demo_totp_code(at=1_800_000_000) == f"{clock.token():06d}"


@pytest.mark.django_db
def test_the_demo_command_loads_and_explains_how_to_log_in():
    out = io.StringIO()
    call_command("demo", "--size", "small", "--seed", "3", "--exports", "none", stdout=out)
    text = out.getvalue()
    assert "Demo loaded: partnerships dundee, angus" in text
    assert DEMO_PASSWORD in text
    assert "demo.coordinator" in text
    code = io.StringIO()
    call_command("demo", "code", stdout=code)
    assert code.getvalue().strip().isdigit()
