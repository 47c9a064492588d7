"""Managing protocols in the hub: drafting, signing, activating, suspending, new versions."""

import datetime
import re

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.partnerships.models import Organisation, Partnership, Theme, User
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply
from saferhub.sharing.models import Protocol, ProtocolStatus, Signatory
from saferhub.sharing.services import (
    ProtocolError,
    protocol_activate,
    protocol_create_draft,
    protocol_new_version,
    protocol_reinstate,
    protocol_sign,
    protocol_suspend,
    protocol_update_draft,
)
from tests.conftest import EXAMPLE_FILE, add_user, log_in

pytestmark = pytest.mark.django_db

PROTOCOLS = "/partnerships/fife/protocols/"
TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def client_for(user: User) -> Client:
    client = Client()
    log_in(client, user)
    return client


def organisation(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def theme(code: str) -> Theme:
    return Theme.objects.get(code=code)


def protocol(code: str, version: int) -> Protocol:
    return Protocol.objects.get(partnership__code="fife", code=code, version=version)


def audited(action: str) -> list[dict]:
    return list(AuditEvent.objects.filter(action=action).values_list("detail", flat=True))


@pytest.fixture
def sam(manager) -> Client:
    """The manager of Fife Council, Safer Communities."""
    return client_for(manager)


@pytest.fixture
def managers(fife, manager) -> dict[str, User]:
    """A manager in each member organisation."""
    found = {"fife-council-asb": manager}
    for code in ("police-fife", "sfrs-fife", "nhs-fife", "kingdom-ha"):
        found[code] = add_user(
            f"manager.{code}", partnership=fife, organisation=organisation(code), roles=["manager"]
        )
    return found


def form_data(**changes) -> dict:
    """A valid draft, as the form posts it."""
    data = {
        "code": "fife-dv",
        "title": "Fife Domestic Abuse Protocol",
        "effective_from": days(0).isoformat(),
        "expires_on": days(730).isoformat(),
        "review_by": days(365).isoformat(),
        "signatories": [organisation("police-fife").pk, organisation("fife-council-asb").pk],
        "themes": [theme("domestic_abuse").pk, theme("cuckooing").pk],
        "level": "personal",
        "audience": "relevant_partners",
        "purposes": ["tasking", "referral"],
        "legal_basis": "UK GDPR Art 6(1)(e)",
        "retention_months": "18",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def terms(**changes) -> dict:
    """A valid draft, as the services take it."""
    values = {
        "title": "Fife Domestic Abuse Protocol",
        "effective_from": days(0),
        "expires_on": None,
        "review_by": days(365),
        "signatories": [organisation("police-fife"), organisation("fife-council-asb")],
        "themes": [theme("domestic_abuse")],
        "level": "personal",
        "audience": "all_signatories",
        "purposes": ["tasking"],
        "legal_basis": "UK GDPR Art 6(1)(e)",
        "retention_months": 12,
    }
    values.update(changes)
    return values


def draft_of(user: User, **changes) -> Protocol:
    return protocol_create_draft(
        user=user,
        partnership=Partnership.objects.get(code="fife"),
        code="fife-dv",
        **terms(**changes),
    )


# Drafting -------------------------------------------------------------------------------------


def test_a_manager_creates_a_draft_protocol(sam, manager):
    form = sam.get(PROTOCOLS + "new/")
    assert form.status_code == 200
    page = form.content.decode()
    assert "Create a draft protocol" in page
    assert "Kingdom Housing Association" in page  # a member, offered as a signatory
    assert "Cuckooing" in page  # the partnership's own theme, beside the standard ones

    response = sam.post(PROTOCOLS + "new/", form_data())
    assert response.status_code == 302
    assert response["Location"] == PROTOCOLS + "fife-dv/v1/"
    draft = protocol("fife-dv", 1)
    assert draft.status == ProtocolStatus.DRAFT
    assert draft.expires_on == days(730)
    assert draft.purposes == ["tasking", "referral"]
    assert {t.code for t in draft.themes.all()} == {"domestic_abuse", "cuckooing"}
    signings = Signatory.objects.filter(protocol=draft)
    assert {s.organisation.code for s in signings} == {"police-fife", "fife-council-asb"}
    assert all(s.signed_at is None and s.signed_by is None for s in signings)
    assert audited("protocol_drafted") == [
        {
            "partnership": "fife",
            "protocol": "fife-dv",
            "version": 1,
            "signatories": ["fife-council-asb", "police-fife"],
        }
    ]

    page = sam.get(response["Location"]).content.decode()
    assert "Version 1 of fife-dv is drafted" in page
    assert "This version does not share any data today: it is still a draft" in page
    assert page.count("Not signed yet") >= 2


def test_the_draft_form_names_every_missing_answer(sam):
    response = sam.post(PROTOCOLS + "new/", {})
    assert response.status_code == 422
    page = response.content.decode()
    assert "<title>Error: Create a draft protocol" in page
    for field, message in [
        ("code", "Enter a code for the protocol"),
        ("title", "Enter the protocol&#x27;s title"),
        ("effective_from", "Enter the date it takes effect"),
        ("review_by", "Enter the date it must be reviewed by"),
        ("signatories", "Select at least 2 signatories"),
        ("themes", "Select at least one theme"),
        ("level", "Select the level it shares at"),
        ("audience", "Select who sees a record"),
        ("purposes", "Select at least one purpose"),
        ("legal_basis", "Enter the legal basis for sharing"),
        ("retention_months", "Enter how many months shared information is kept"),
    ]:
        # Listed in the summary at the top, linked to its field, and again at the field.
        assert f'<a href="#id_{field}">{message}</a>' in page, field
        assert f'id="id_{field}"' in page, field
        assert page.count(message) == 2, field
    assert "Enter the date it expires" not in page  # optional
    assert not Protocol.objects.filter(code="fife-dv").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "Fife DV"}, "code", "Enter a code of lower-case letters, digits"),
        ({"code": "x" * 61}, "code", "Enter a code of at most 60 characters"),
        ({"code": "fife-isp"}, "code", "The partnership already has a protocol with the code"),
        ({"title": "   "}, "title", "Enter the protocol&#x27;s title"),
        ({"effective_from": "31/02/2026"}, "effective_from", "as a real date, like 2026-04-01"),
        (
            {"effective_from": days(10).isoformat(), "expires_on": days(9).isoformat()},
            "expires_on",
            "The expiry date must be on or after the date it takes effect",
        ),
        ({"signatories": ["police-fife"]}, "signatories", "Select signatories from the"),
        ("one signatory", "signatories", "Select at least 2 signatories: a protocol is an"),
        ("outsider", "signatories", "Select signatories from the partnership&#x27;s members"),
        ("other partnership's theme", "themes", "Select themes from the list"),
        ({"level": "none"}, "level", "Select the level it shares at"),
        ({"audience": "everyone"}, "audience", "Select who sees a record"),
        ({"purposes": ["gossip"]}, "purposes", "Select purposes from the list"),
        ({"retention_months": "0"}, "retention_months", "at least 1 month"),
        ({"retention_months": "1201"}, "retention_months", "at most 1200 months"),
        ({"retention_months": "two"}, "retention_months", "as a whole number of months"),
    ],
)
def test_the_draft_form_refuses_what_the_partnership_file_refuses(
    sam, fife, changes, field, message
):
    if changes == "one signatory":
        changes = {"signatories": [organisation("police-fife").pk]}
    elif changes == "outsider":
        outsider = Organisation.objects.create(code="elsewhere", name="Elsewhere", kind="other")
        changes = {"signatories": [organisation("police-fife").pk, outsider.pk]}
    elif changes == "other partnership's theme":
        data = yaml.safe_load(EXAMPLE_FILE.read_text())
        data["partnership"].update(code="kinross", name="Kinross Partnership")
        data.update(themes=["kinross-only"], users=[], protocols=[])
        partnership_apply(document=validate_partnership_data(data))
        changes = {"themes": [Theme.objects.get(code="kinross-only").pk]}
    response = sam.post(PROTOCOLS + "new/", form_data(**changes))
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(rf'<li><a href="#id_{field}">[^<]*{re.escape(message)}', page), page
    assert Protocol.objects.filter(partnership=fife).count() == 2


def test_the_services_refuse_terms_the_partnership_file_would_refuse(manager):
    outsider = Organisation.objects.create(code="elsewhere", name="Elsewhere", kind="other")
    for changes in (
        {"signatories": [organisation("police-fife")]},
        {"signatories": [organisation("police-fife"), outsider]},
        {"expires_on": days(-1)},
        {"purposes": []},
        {"retention_months": 0},
        {"level": "none"},
    ):
        with pytest.raises(ProtocolError, match="not valid"):
            draft_of(manager, **changes)
    with pytest.raises(ProtocolError, match="already has a protocol with the code fife-isp"):
        protocol_create_draft(
            user=manager,
            partnership=Partnership.objects.get(code="fife"),
            code="fife-isp",
            **terms(),
        )
    assert not Protocol.objects.filter(code="fife-dv").exists()


# Who may change protocols ---------------------------------------------------------------------


def test_members_without_the_manager_role_may_read_but_not_change(fife, practitioner):
    ali = User.objects.get(username="ali.khan")  # coordinator and admin, not manager
    for user in (practitioner, ali):
        client = client_for(user)
        assert client.get(PROTOCOLS).status_code == 200
        page = client.get(PROTOCOLS + "fife-isp/v3/").content.decode()
        assert "Issue a new version" not in page
        assert "Suspend this protocol" not in page
        assert "The partnership's managers draft, sign, activate and suspend" in page
        listing = client.get(PROTOCOLS).content.decode()
        assert "Create a draft protocol" not in listing
        assert "what-can-they-see" not in listing

        response = client.get(PROTOCOLS + "new/")
        assert response.status_code == 403
        assert "Only managers can do this" in response.content.decode()
        assert "You do not have the manager role in this partnership" in response.content.decode()
        assert client.post(PROTOCOLS + "new/", form_data()).status_code == 403
        for action in ("sign", "activate", "reinstate", "new-version", "edit"):
            assert client.post(PROTOCOLS + f"fife-isp/v3/{action}/").status_code == 403, action
        assert client.post(PROTOCOLS + "fife-isp/v3/suspend/", {"reason": "x"}).status_code == 403
    assert protocol("fife-isp", 3).status == ProtocolStatus.ACTIVE
    assert not Protocol.objects.filter(code__in=["fife-dv"]).exists()
    assert Protocol.objects.filter(partnership=fife).count() == 2


def test_managers_of_another_partnership_find_nothing(fife):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["partnership"].update(code="kinross", name="Kinross Partnership")
    data["users"] = [
        {**u, "username": "kinross.manager", "email": "k@example.org"}
        for u in data["users"]
        if u["username"] == "sam.boyd"
    ]
    partnership_apply(document=validate_partnership_data(data))
    client = client_for(User.objects.get(username="kinross.manager"))
    assert client.get(PROTOCOLS + "new/").status_code == 404
    assert client.post(PROTOCOLS + "fife-isp/v3/suspend/", {"reason": "x"}).status_code == 404
    assert client.get(PROTOCOLS + "what-can-they-see/").status_code == 404
    with pytest.raises(ProtocolError, match="Only a manager of Fife Community Safety"):
        protocol_suspend(
            user=User.objects.get(username="kinross.manager"),
            protocol=protocol("fife-isp", 3),
            reason="x",
        )
    assert protocol("fife-isp", 3).status == ProtocolStatus.ACTIVE


def test_the_services_refuse_users_who_are_not_managers(practitioner):
    isp = protocol("fife-isp", 3)
    with pytest.raises(ProtocolError, match="Only a manager of Fife Community Safety Partner"):
        draft_of(practitioner)
    for change in (protocol_new_version, protocol_activate, protocol_reinstate, protocol_sign):
        with pytest.raises(ProtocolError, match="Only a manager"):
            change(user=practitioner, protocol=isp)
    with pytest.raises(ProtocolError, match="Only a manager"):
        protocol_suspend(user=practitioner, protocol=isp, reason="because")


# Signing --------------------------------------------------------------------------------------


def test_each_signatory_signs_for_its_own_organisation(sam, manager, managers):
    draft_of(manager)
    page = sam.get(PROTOCOLS + "fife-dv/v1/").content.decode()
    assert "Sign for Fife Council, Safer Communities" in page
    assert "Sign for Police Scotland" not in page

    response = sam.post(PROTOCOLS + "fife-dv/v1/sign/")
    assert response.status_code == 302
    signature = Signatory.objects.get(
        protocol__code="fife-dv", organisation__code="fife-council-asb"
    )
    assert signature.signed_by == manager
    assert signature.signed_at is not None
    assert audited("protocol_signed") == [
        {
            "partnership": "fife",
            "protocol": "fife-dv",
            "version": 1,
            "organisation": "fife-council-asb",
        }
    ]
    page = sam.get(PROTOCOLS + "fife-dv/v1/").content.decode()
    assert "You signed version 1 of fife-dv for Fife Council, Safer Communities" in page
    assert "Signed by Sam Boyd on " in page
    assert "Sign for" not in page
    assert "Not signed yet: Police Scotland, Fife Division." in page
    assert "1 of 2 signed" in page

    police = client_for(managers["police-fife"])
    assert (
        "Sign for Police Scotland, Fife Division"
        in police.get(PROTOCOLS + "fife-dv/v1/").content.decode()
    )


def test_a_manager_of_an_organisation_that_is_not_a_signatory_cannot_sign(manager, managers):
    draft_of(manager)
    nhs = client_for(managers["nhs-fife"])
    assert "Sign for" not in nhs.get(PROTOCOLS + "fife-dv/v1/").content.decode()
    response = nhs.post(PROTOCOLS + "fife-dv/v1/sign/")
    assert response.status_code == 422
    assert "Your organisation, NHS Fife, is not a signatory of this protocol" in (
        response.content.decode()
    )
    assert not Signatory.objects.filter(protocol__code="fife-dv", signed_at__isnull=False).exists()
    assert audited("protocol_signed") == []


def test_a_signature_is_given_once_and_only_on_a_draft(manager):
    draft = draft_of(manager)
    protocol_sign(user=manager, protocol=draft)
    with pytest.raises(ProtocolError, match="has already signed version 1 of fife-dv"):
        protocol_sign(user=manager, protocol=draft)
    with pytest.raises(ProtocolError, match="only a draft is signed"):
        protocol_sign(user=manager, protocol=protocol("fife-isp", 3))


# Activating -----------------------------------------------------------------------------------


def test_activation_waits_until_every_signatory_has_signed(sam, manager, managers, jo_client):
    draft_of(
        manager,
        signatories=[organisation(c) for c in ("police-fife", "sfrs-fife", "fife-council-asb")],
    )
    sam.post(PROTOCOLS + "fife-dv/v1/sign/")
    response = sam.post(PROTOCOLS + "fife-dv/v1/activate/")
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert (
        "Version 1 of fife-dv cannot be activated until every signatory has signed it. Not "
        "signed yet: Police Scotland, Fife Division and Scottish Fire and Rescue Service, Fife."
    ) in page
    assert protocol("fife-dv", 1).status == ProtocolStatus.DRAFT

    for code in ("police-fife", "sfrs-fife"):
        assert client_for(managers[code]).post(PROTOCOLS + "fife-dv/v1/sign/").status_code == 302
    assert "Every signatory has signed" in sam.get(PROTOCOLS + "fife-dv/v1/").content.decode()
    response = sam.post(PROTOCOLS + "fife-dv/v1/activate/")
    assert response.status_code == 302
    assert protocol("fife-dv", 1).status == ProtocolStatus.ACTIVE
    assert "Version 1 of fife-dv is active. Shares data today." in (
        sam.get(PROTOCOLS + "fife-dv/v1/").content.decode()
    )
    assert "Fife Domestic Abuse Protocol" in jo_client.get("/partnerships/fife/").content.decode()
    assert audited("protocol_activated") == [
        {"partnership": "fife", "protocol": "fife-dv", "version": 1, "superseded_versions": []}
    ]


def test_signatures_from_the_partnership_file_count(fife, manager):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["protocols"][1].update(version=2, status="draft")
    partnership_apply(document=validate_partnership_data(data))
    protocol_activate(user=manager, protocol=protocol("fife-asb", 2))
    assert protocol("fife-asb", 2).status == ProtocolStatus.ACTIVE
    assert protocol("fife-asb", 1).status == ProtocolStatus.SUPERSEDED


def test_an_expired_draft_is_not_activated(manager, managers):
    draft = draft_of(manager, effective_from=days(-30), expires_on=days(-1))
    for code in ("police-fife", "fife-council-asb"):
        protocol_sign(user=managers[code], protocol=draft)
    with pytest.raises(ProtocolError, match="expired on"):
        protocol_activate(user=manager, protocol=draft)


# New versions ---------------------------------------------------------------------------------


def test_a_new_version_is_drafted_signed_and_supersedes_the_old_one(
    sam, manager, managers, jo_client
):
    response = sam.post(PROTOCOLS + "fife-isp/v3/new-version/")
    assert response.status_code == 302
    assert response["Location"] == PROTOCOLS + "fife-isp/v4/edit/"
    old, new = protocol("fife-isp", 3), protocol("fife-isp", 4)
    assert new.status == ProtocolStatus.DRAFT
    for name in (
        "title",
        "effective_from",
        "expires_on",
        "review_by",
        "level",
        "audience",
        "legal_basis",
        "retention_months",
        "purposes",
    ):
        assert getattr(new, name) == getattr(old, name), name
    assert set(new.themes.all()) == set(old.themes.all())
    assert {s.organisation.code for s in new.signings.all()} == {
        "police-fife",
        "sfrs-fife",
        "fife-council-asb",
    }
    assert not new.signings.filter(signed_at__isnull=False).exists()
    # The old version goes on sharing meanwhile.
    assert old.status == ProtocolStatus.ACTIVE
    assert (
        "Version 4 is a draft copy of version 3" in sam.get(response["Location"]).content.decode()
    )

    changed = {**form_data(), "retention_months": "36", "title": old.title}
    changed.pop("code")
    changed.update(
        signatories=[s.organisation_id for s in old.signings.all()],
        themes=[t.pk for t in old.themes.all()],
        purposes=old.purposes,
        level=old.level,
        audience=old.audience,
        effective_from=old.effective_from.isoformat(),
        expires_on=old.expires_on.isoformat(),
        review_by=days(500).isoformat(),
        legal_basis=old.legal_basis,
    )
    assert sam.post(PROTOCOLS + "fife-isp/v4/edit/", changed).status_code == 302
    assert protocol("fife-isp", 4).retention_months == 36

    for code in ("police-fife", "sfrs-fife", "fife-council-asb"):
        assert client_for(managers[code]).post(PROTOCOLS + "fife-isp/v4/sign/").status_code == 302
    assert sam.post(PROTOCOLS + "fife-isp/v4/activate/").status_code == 302
    assert protocol("fife-isp", 4).status == ProtocolStatus.ACTIVE
    assert protocol("fife-isp", 3).status == ProtocolStatus.SUPERSEDED
    assert audited("protocol_activated")[-1]["superseded_versions"] == [3]
    assert audited("protocol_version_issued") == [
        {"partnership": "fife", "protocol": "fife-isp", "version": 4, "copied_from_version": 3}
    ]
    history = sam.get(PROTOCOLS + "fife-isp/v4/").content.decode()
    assert "Not sharing: a newer version replaced it" in history
    assert 'href="/partnerships/fife/protocols/fife-isp/v3/"' in history
    assert "36 months" in history


def test_a_new_version_is_issued_once_and_only_from_an_active_or_suspended_one(sam, manager):
    assert sam.post(PROTOCOLS + "fife-isp/v3/new-version/").status_code == 302
    again = sam.post(PROTOCOLS + "fife-isp/v3/new-version/")
    assert again.status_code == 422
    assert "Version 4 of fife-isp already exists (draft); work on that one instead." in (
        again.content.decode()
    )
    page = sam.get(PROTOCOLS + "fife-isp/v3/").content.decode()
    assert "Issue a new version" not in page
    assert "go to version 4" in page
    with pytest.raises(ProtocolError, match="a new version is issued from an active or suspended"):
        protocol_new_version(user=manager, protocol=protocol("fife-isp", 4))
    assert Protocol.objects.filter(code="fife-isp").count() == 2


def test_only_a_draft_is_changed(sam, manager):
    response = sam.get(PROTOCOLS + "fife-isp/v3/edit/")
    assert response.status_code == 302
    page = sam.get(response["Location"]).content.decode()
    assert "only a draft can be changed. Issue a new version to change its terms." in page
    with pytest.raises(ProtocolError, match="only a draft can be changed"):
        protocol_update_draft(user=manager, protocol=protocol("fife-isp", 3), **terms())


def test_changing_a_draft_clears_its_signatures(manager, managers):
    draft = draft_of(manager)
    protocol_sign(user=manager, protocol=draft)
    assert protocol_update_draft(user=manager, protocol=draft, **terms()) == []
    assert draft.signings.filter(signed_at__isnull=False).count() == 1  # nothing changed

    changed = protocol_update_draft(
        user=manager,
        protocol=draft,
        **terms(
            retention_months=6,
            purposes=["tasking", "analysis"],
            signatories=[
                organisation(c) for c in ("police-fife", "fife-council-asb", "kingdom-ha")
            ],
        ),
    )
    assert changed == ["retention_months", "purposes", "signatories"]
    draft.refresh_from_db()
    assert draft.retention_months == 6 and draft.purposes == ["tasking", "analysis"]
    assert draft.signings.count() == 3
    assert not draft.signings.filter(signed_at__isnull=False).exists()
    assert audited("protocol_draft_updated")[-1]["changed"] == changed


def test_the_edit_form_shows_the_draft_and_names_its_errors(sam, manager):
    draft_of(manager)
    page = sam.get(PROTOCOLS + "fife-dv/v1/edit/").content.decode()
    assert 'value="Fife Domestic Abuse Protocol"' in page
    assert 'name="code"' not in page  # the code names every version
    assert "checked" in page
    response = sam.post(PROTOCOLS + "fife-dv/v1/edit/", form_data(title="", retention_months=""))
    assert response.status_code == 422
    page = response.content.decode()
    assert '<a href="#id_title">Enter the protocol&#x27;s title</a>' in page
    assert '<a href="#id_retention_months">Enter how many months' in page


# Suspending -----------------------------------------------------------------------------------


def test_suspending_stops_a_protocol_being_in_force_until_reinstated(sam, jo_client):
    home = jo_client.get("/partnerships/fife/").content.decode()
    assert "Fife Antisocial Behaviour Protocol" in home

    response = sam.post(PROTOCOLS + "fife-asb/v1/suspend/", {"reason": "Breach under review"})
    assert response.status_code == 302
    assert protocol("fife-asb", 1).status == ProtocolStatus.SUSPENDED
    page = sam.get(PROTOCOLS + "fife-asb/v1/").content.decode()
    assert "shares nothing until it is reinstated. Reason given: Breach under review" in page
    assert "This version does not share any data today: it is suspended" in page
    assert "Fife Antisocial Behaviour Protocol" not in (
        jo_client.get("/partnerships/fife/").content.decode()
    )
    assert audited("protocol_suspended") == [
        {
            "partnership": "fife",
            "protocol": "fife-asb",
            "version": 1,
            "reason": "Breach under review",
        }
    ]

    assert "Reinstate this protocol" in page
    assert sam.post(PROTOCOLS + "fife-asb/v1/reinstate/").status_code == 302
    assert protocol("fife-asb", 1).status == ProtocolStatus.ACTIVE
    assert (
        "Fife Antisocial Behaviour Protocol"
        in jo_client.get("/partnerships/fife/").content.decode()
    )
    assert len(audited("protocol_reinstated")) == 1


def test_suspending_needs_a_reason(sam):
    response = sam.post(PROTOCOLS + "fife-asb/v1/suspend/", {"reason": "  "})
    assert response.status_code == 422
    assert '<a href="#id_reason">Enter the reason for suspending the protocol</a>' in (
        response.content.decode()
    )
    assert protocol("fife-asb", 1).status == ProtocolStatus.ACTIVE


def test_only_an_active_protocol_is_suspended_and_only_a_suspended_one_reinstated(manager):
    draft = draft_of(manager)
    with pytest.raises(ProtocolError, match="only an active protocol can be suspended"):
        protocol_suspend(user=manager, protocol=draft, reason="x")
    with pytest.raises(ProtocolError, match="only a suspended protocol can be reinstated"):
        protocol_reinstate(user=manager, protocol=protocol("fife-isp", 3))
    with pytest.raises(ProtocolError, match="only a draft can be activated"):
        protocol_activate(user=manager, protocol=protocol("fife-isp", 3))


def test_actions_are_posted_not_fetched(sam):
    for action in ("sign", "activate", "suspend", "reinstate", "new-version"):
        assert sam.get(PROTOCOLS + f"fife-isp/v3/{action}/").status_code == 405, action


# The list -------------------------------------------------------------------------------------


def test_the_list_warns_managers_of_protocols_due_for_review(sam, jo_client):
    Protocol.objects.filter(code="fife-asb").update(review_by=days(30))
    Protocol.objects.filter(code="fife-isp").update(review_by=days(-2))
    page = sam.get(PROTOCOLS).content.decode()
    assert page.count('class="ds_warning-text"') == 2
    assert "is due for review by" in page and "review in 30 days" in page
    assert "was due for review on" in page and "review overdue" in page
    assert page.index("review overdue") < page.index("review in 30 days")  # most pressing first
    # Everyone sees the tags in the table; the warnings above it are for managers.
    listing = jo_client.get(PROTOCOLS).content.decode()
    assert "Review in 30 days" in listing
    assert 'class="ds_warning-text"' not in listing


def test_the_list_offers_managers_a_draft_and_the_comparison(sam):
    page = sam.get(PROTOCOLS).content.decode()
    assert 'href="/partnerships/fife/protocols/new/">Create a draft protocol</a>' in page
    assert 'href="/partnerships/fife/protocols/what-can-they-see/"' in page


def test_an_expired_protocol_is_shown_as_not_sharing(sam):
    Protocol.objects.filter(code="fife-isp").update(expires_on=days(-1))
    listing = sam.get(PROTOCOLS).content.decode()
    assert f"Not sharing: it expired on {days(-1).day} {days(-1):%B %Y}" in listing
    page = sam.get(PROTOCOLS + "fife-isp/v3/").content.decode()
    assert "This version does not share any data today: it expired on" in page


def test_the_list_and_page_show_who_signed_and_when(sam, manager):
    draft = draft_of(manager)
    protocol_sign(user=manager, protocol=draft)
    listing = sam.get(PROTOCOLS).content.decode()
    assert "1 of 2 signed" in listing  # the draft
    assert listing.count("Shares data today") == 2  # the two protocols in force
    page = sam.get(PROTOCOLS + "fife-asb/v1/").content.decode()
    assert "Recorded from the partnership file on " in page
    assert "Kingdom Housing Association" in page


@pytest.fixture
def jo_client(practitioner) -> Client:
    return client_for(practitioner)
