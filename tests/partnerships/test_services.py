"""Applying a partnership file: creates, updates, is idempotent, and is all or nothing."""

import pytest
import yaml

from saferhub.partnerships.models import (
    FundedPost,
    Membership,
    Organisation,
    Partnership,
    RoleAssignment,
    Theme,
    User,
)
from saferhub.partnerships.partnership_file import (
    PartnershipFileError,
    parse_partnership_file,
    validate_partnership_data,
)
from saferhub.partnerships.selectors import partnership_file_export
from saferhub.partnerships.services import partnership_apply
from saferhub.sharing.models import Protocol, ProtocolStatus
from tests.conftest import EXAMPLE_FILE

pytestmark = pytest.mark.django_db


def example() -> dict:
    return yaml.safe_load(EXAMPLE_FILE.read_text())


def apply(data: dict, dry_run: bool = False):
    return partnership_apply(document=validate_partnership_data(data), dry_run=dry_run)


def snapshot() -> dict:
    """Everything a partnership file can change, as comparable values."""
    return {
        "partnerships": list(Partnership.objects.values().order_by("code")),
        "organisations": list(Organisation.objects.values().order_by("code")),
        "memberships": list(Membership.objects.values().order_by("pk")),
        "posts": list(FundedPost.objects.values().order_by("pk")),
        "users": list(User.objects.values("username", "name", "email", "organisation", "is_staff")),
        "roles": list(RoleAssignment.objects.values().order_by("pk")),
        "themes": list(Theme.objects.values().order_by("pk")),
        "protocols": list(
            Protocol.objects.values(
                "code", "version", "status", "title", "review_by", "level"
            ).order_by("code", "version")
        ),
        "signatories": list(
            Protocol.objects.values_list("code", "version", "signatories__code").order_by(
                "code", "version", "signatories__code"
            )
        ),
        "protocol_themes": list(
            Protocol.objects.values_list("code", "themes__code").order_by("code", "themes__code")
        ),
    }


def test_it_creates_everything_in_the_file():
    changes = apply(example())
    fife = Partnership.objects.get(code="fife")
    assert fife.name == "Fife Community Safety Partnership"
    assert Membership.objects.filter(partnership=fife).count() == 5
    assert Membership.objects.get(organisation__code="kingdom-ha").involvement == "a_little"
    assert sum(p.annual_cost_gbp for p in fife.funded_posts.all()) == 79000
    ali = User.objects.get(username="ali.khan")
    assert ali.organisation.code == "fife-council-asb"
    assert set(ali.role_assignments.values_list("role", flat=True)) == {"coordinator", "admin"}
    assert not ali.has_usable_password()
    assert ali.is_staff  # the admin role opens the admin site
    assert not User.objects.get(username="jo.smith").is_staff
    assert Theme.objects.get(partnership=fife, code="cuckooing").name == "Cuckooing"
    isp = Protocol.objects.get(code="fife-isp")
    assert (isp.version, isp.status, isp.level) == (3, "active", "personal")
    assert isp.purposes == ["tasking", "referral", "analysis"]
    assert sorted(s.code for s in isp.signatories.all()) == [
        "fife-council-asb",
        "police-fife",
        "sfrs-fife",
    ]
    assert "+ partnership fife: Fife Community Safety Partnership" in changes.lines


def test_applying_the_same_file_twice_changes_nothing():
    apply(example())
    before = snapshot()
    changes = apply(example())
    assert changes.lines == []
    assert snapshot() == before


def test_a_dry_run_reports_the_changes_and_makes_none():
    dry = apply(example(), dry_run=True)
    assert Partnership.objects.count() == 0
    assert User.objects.count() == 0
    real = apply(example())
    assert dry.lines == real.lines


def test_it_updates_what_changed_and_says_so():
    apply(example())
    data = example()
    data["organisations"][3]["involvement"] = "very"
    data["funded_posts"][0]["annual_cost_gbp"] = 50000
    data["users"][0]["email"] = "jo.smith@new.example.org"
    changes = apply(data)
    assert changes.lines == [
        "~ membership nhs-fife: involvement 'fairly' → 'very'",
        "~ funded post 'campus officer' (fife-council-asb → police-fife): "
        "annual_cost_gbp 48000 → 50000",
        "~ user jo.smith: email 'jo.smith@police.example.org' → 'jo.smith@new.example.org'",
    ]


def test_what_leaves_the_file_leaves_the_partnership():
    apply(example())
    data = example()
    data["organisations"] = [o for o in data["organisations"] if o["code"] != "nhs-fife"]
    data["funded_posts"] = data["funded_posts"][:1]
    data["users"] = [u for u in data["users"] if u["username"] != "ali.khan"]
    changes = apply(data)
    assert "- membership nhs-fife (left the partnership)" in changes.lines
    assert not Membership.objects.filter(organisation__code="nhs-fife").exists()
    assert Organisation.objects.filter(code="nhs-fife").exists()  # may be in other partnerships
    assert FundedPost.objects.count() == 1
    ali = User.objects.get(username="ali.khan")  # the account stays; the roles go
    assert not ali.role_assignments.exists()
    assert not ali.is_staff


def test_a_higher_protocol_version_supersedes_the_older():
    apply(example())
    data = example()
    data["protocols"][0]["version"] = 4
    data["protocols"][0]["themes"].append("road_safety")
    changes = apply(data)
    assert "~ protocol fife-isp v3: superseded by v4" in changes.lines
    assert (
        "+ protocol fife-isp v4: Fife Community Safety Information Sharing Protocol (active)"
        in (changes.lines)
    )
    versions = dict(Protocol.objects.filter(code="fife-isp").values_list("version", "status"))
    assert versions == {3: ProtocolStatus.SUPERSEDED, 4: ProtocolStatus.ACTIVE}
    assert apply(data).lines == []


def test_a_lower_protocol_version_is_refused_and_nothing_changes():
    apply(example())
    before = snapshot()
    data = example()
    data["partnership"]["name"] = "Renamed"  # applied first, then rolled back
    data["protocols"][0]["version"] = 2
    with pytest.raises(PartnershipFileError) as caught:
        apply(data)
    assert caught.value.problems == [
        "protocols[0].version: version 2 is older than version 3 the hub already holds; "
        "versions only move forward"
    ]
    assert snapshot() == before


def test_a_user_can_hold_roles_in_two_partnerships():
    apply(example())
    other = example()
    other["partnership"].update(code="kinross", name="Kinross Partnership")
    other["protocols"] = []
    other["users"] = [dict(other["users"][0], roles=["coordinator"])]
    apply(other)
    jo = User.objects.get(username="jo.smith")
    assert sorted(jo.role_assignments.values_list("partnership__code", "role")) == [
        ("fife", "practitioner"),
        ("kinross", "coordinator"),
    ]
    # Applying the first file again leaves the second partnership's roles alone.
    assert apply(example()).lines == []
    assert jo.role_assignments.count() == 2


def test_the_exported_file_round_trips():
    apply(example())
    exported = partnership_file_export(partnership=Partnership.objects.get(code="fife"))
    text = yaml.safe_dump(exported, sort_keys=False)
    document = parse_partnership_file(text)
    assert partnership_apply(document=document).lines == []
    # The export says the same as the file it came from.
    original = parse_partnership_file(EXAMPLE_FILE.read_text())
    assert {o.code: o for o in document.organisations} == {
        o.code: o for o in original.organisations
    }
    assert {u.username: set(u.roles) for u in document.users} == {
        u.username: set(u.roles) for u in original.users
    }
    assert {
        p.code: p.model_dump(exclude={"signatories", "themes", "purposes"})
        for p in document.protocols
    } == {
        p.code: p.model_dump(exclude={"signatories", "themes", "purposes"})
        for p in original.protocols
    }
    assert document.extra_themes() == original.extra_themes()


def test_a_draft_of_a_new_version_leaves_the_old_one_sharing():
    apply(example())
    data = example()
    data["protocols"][0].update(version=4, status="draft")
    apply(data)
    versions = dict(Protocol.objects.filter(code="fife-isp").values_list("version", "status"))
    assert versions == {3: ProtocolStatus.ACTIVE, 4: ProtocolStatus.DRAFT}
    data["protocols"][0]["status"] = "active"
    assert "~ protocol fife-isp v3: superseded by v4" in apply(data).lines
    versions = dict(Protocol.objects.filter(code="fife-isp").values_list("version", "status"))
    assert versions == {3: ProtocolStatus.SUPERSEDED, 4: ProtocolStatus.ACTIVE}


def test_names_longer_than_the_hub_stores_are_refused_by_key():
    data = example()
    data["organisations"][0]["name"] = "x" * 201
    data["partnership"]["local_authority"] = "y" * 101
    with pytest.raises(PartnershipFileError) as caught:
        apply(data)
    assert caught.value.problems == [
        "partnership.local_authority: is too long: at most 100 characters",
        "organisations[0].name: is too long: at most 200 characters",
    ]
