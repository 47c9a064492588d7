"""A referral goes only on a lawful basis: a protocol that carries it, consent, or vital
interests; and when it cannot go, the error says why in words."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saferhub.audit.models import AuditEvent
from saferhub.partnerships.models import Organisation, Theme, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.referrals.models import Referral
from saferhub.referrals.services import ReferralInvalid, lawful_protocols
from saferhub.sharing.models import Protocol, Signatory
from tests.referrals.conftest import person_of, record, send

pytestmark = pytest.mark.django_db

SENDER = "fife-council-asb"


def refused(user, **fields) -> dict[str, str]:
    with pytest.raises(ReferralInvalid) as caught:
        send(user, **fields)
    assert not Referral.objects.exists()
    return caught.value.errors


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def test_a_protocol_signed_by_both_covering_every_theme_carries_it(staff, types):
    referral = send(staff[SENDER], themes=["home_safety", "fire_safety"])
    assert referral.lawful_basis == "protocol"
    assert (referral.protocol.code, referral.protocol.version) == ("fife-isp", 3)


def test_the_recipient_must_have_signed_the_protocol(staff, types):
    errors = refused(staff[SENDER], recipient="nhs-fife", protocol="fife-isp")
    assert errors == {"protocol": "NHS Fife has not signed protocol fife-isp"}


def test_the_referrer_must_have_signed_the_protocol(staff, types):
    errors = refused(staff["kingdom-ha"], protocol="fife-isp")
    assert errors == {"protocol": "Kingdom Housing Association has not signed protocol fife-isp"}


def test_the_protocol_must_cover_every_theme(staff, types):
    errors = refused(staff[SENDER], themes=["home_safety", "domestic_abuse"], protocol="fife-isp")
    assert errors == {"protocol": "Protocol fife-isp does not cover the theme Domestic abuse"}


def test_the_protocol_must_be_for_referrals(staff, types):
    errors = refused(
        staff["police-fife"], recipient="kingdom-ha", themes=["asb"], protocol="fife-asb"
    )
    assert errors == {"protocol": "Protocol fife-asb is not for referrals"}


def test_the_protocol_must_share_personal_data(staff, types):
    Protocol.objects.filter(code="fife-asb").update(for_referral=True)
    errors = refused(
        staff["police-fife"], recipient="kingdom-ha", themes=["asb"], protocol="fife-asb"
    )
    assert errors == {
        "protocol": "Protocol fife-asb shares only depersonalised data, and a referral names "
        "the person"
    }


def test_the_protocol_must_be_active_today(staff, types):
    incident = record(staff[SENDER], themes=["home_safety"])
    Protocol.objects.filter(code="fife-isp").update(status="suspended")
    errors = refused(staff[SENDER], incident_id=incident.pk, protocol="fife-isp")
    assert errors == {"protocol": "Protocol fife-isp is suspended, not active"}
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Protocol.objects.filter(code="fife-isp").update(
        status="active",
        effective_from=yesterday - datetime.timedelta(days=30),
        expires_on=yesterday,
    )
    errors = refused(staff[SENDER], incident_id=incident.pk, protocol="fife-isp")
    assert errors == {"protocol": f"Protocol fife-isp expired on {yesterday:%-d %B %Y}"}


def test_without_a_chosen_protocol_the_error_explains_each_and_offers_the_others(staff, types):
    errors = refused(staff[SENDER], recipient="nhs-fife")
    assert errors["protocol"] == (
        "No protocol covers this referral: Protocol fife-asb is not for referrals; "
        "NHS Fife has not signed protocol fife-isp. Send it on the person's consent, or on "
        "vital interests if someone is at risk of serious harm"
    )


def test_lawful_protocols_follows_the_engine_for_every_rule(staff, types):
    council, fire, nhs = org(SENDER), org("sfrs-fife"), org("nhs-fife")
    today = timezone.localdate()
    book = ThemeBook.of(types)
    mask = book.mask_of(["home_safety"])
    found = lawful_protocols(
        partnership=types, sender=council, recipient=fire, theme_mask=mask, day=today
    )
    assert [p.code for p in found] == ["fife-isp"]
    assert not lawful_protocols(
        partnership=types, sender=council, recipient=nhs, theme_mask=mask, day=today
    )
    assert not lawful_protocols(
        partnership=types,
        sender=council,
        recipient=fire,
        theme_mask=book.mask_of(["home_safety", "domestic_abuse"]),
        day=today,
    )
    # Before the protocol took effect, it carries nothing.
    assert not lawful_protocols(
        partnership=types,
        sender=council,
        recipient=fire,
        theme_mask=mask,
        day=datetime.date(2025, 3, 31),
    )


def test_a_protocol_for_relevant_partners_carries_a_referral_to_the_named_recipient(staff, types):
    Protocol.objects.filter(code="fife-asb").update(for_referral=True, level="personal")
    referral = send(staff["police-fife"], recipient="kingdom-ha", themes=["asb"])
    assert referral.protocol.code == "fife-asb"


def test_consent_needs_who_when_how_and_capacity(staff, types):
    errors = refused(staff[SENDER], recipient="nhs-fife", lawful_basis="consent")
    assert errors == {
        "consent_given_by": "Say who gave consent",
        "consent_given_at": "Enter when consent was given",
        "consent_given_how": "Choose how consent was given",
        "consent_capacity_note": (
            "Note whether the person had capacity to consent, and how you judged it"
        ),
    }


def test_consent_cannot_be_given_in_the_future(staff, types):
    errors = refused(
        staff[SENDER],
        recipient="nhs-fife",
        lawful_basis="consent",
        consent_given_by="Agnes Lumsden, herself",
        consent_given_at=timezone.now() + datetime.timedelta(days=1),
        consent_given_how="verbally",
        consent_capacity_note="Lucid, understood what the nurse would do.",
    )
    assert errors == {"consent_given_at": "Consent cannot have been given in the future"}


def test_consent_carries_a_referral_no_protocol_covers(staff, types):
    given = timezone.now() - datetime.timedelta(hours=1)
    referral = send(
        staff[SENDER],
        recipient="nhs-fife",
        themes=["mental_health"],
        lawful_basis="consent",
        consent_given_by="Agnes Lumsden, herself",
        consent_given_at=given,
        consent_given_how="verbally",
        consent_capacity_note="Lucid, understood what the nurse would do.",
        protocol="fife-isp",
    )
    assert referral.lawful_basis == "consent"
    assert referral.protocol is None
    assert referral.consent_given_at == given
    event = AuditEvent.objects.get(action="referral_sent")
    assert (event.basis, event.protocol_code) == ("consent", "")


def test_vital_interests_needs_a_reason(staff, types):
    errors = refused(
        staff[SENDER],
        recipient="nhs-fife",
        lawful_basis="vital_interests",
        vital_interests_reason="risk",
    )
    assert errors == {
        "vital_interests_reason": (
            "Say who is at risk of serious harm and why, in at least 20 characters"
        )
    }
    referral = send(
        staff[SENDER],
        recipient="nhs-fife",
        lawful_basis="vital_interests",
        vital_interests_reason="Threatened to set fire to the flat tonight with a child inside.",
    )
    assert referral.lawful_basis == "vital_interests"
    assert AuditEvent.objects.get(action="referral_sent").basis == "vital_interests"


def test_a_referral_is_only_about_the_referrers_own_records(staff, types):
    police_incident = record(staff["police-fife"], themes=["home_safety"])
    police_person = person_of(staff["police-fife"])
    errors = refused(
        staff[SENDER], incident_id=police_incident.pk, person_record_id=police_person.pk
    )
    assert errors == {
        "incident": "Choose an incident your organisation recorded in this partnership",
        "person_record": "Choose a person from your own organisation's records",
    }


def test_every_field_is_checked_at_once(staff, types):
    incident = record(staff[SENDER], themes=["home_safety"])
    errors = refused(
        staff[SENDER],
        incident_id=incident.pk,
        recipient=SENDER,
        referral_type="astrology",
        themes=[],
        urgency="purple",
        reason="  ",
        lawful_basis="because",
    )
    assert errors == {
        "recipient": "Choose another organisation: you cannot refer to your own",
        "referral_type": "Choose the type of referral",
        "themes": "Choose at least one theme",
        "urgency": "Choose how urgent it is",
        "reason": "Say why you are referring",
        "lawful_basis": "Choose the lawful basis for sharing",
    }
    assert not AuditEvent.objects.filter(action="referral_sent").exists()


def test_a_manager_who_sees_no_people_cannot_refer(fife, types):
    manager = User.objects.get(username="sam.boyd")
    with pytest.raises(ReferralInvalid) as caught:
        send(manager, incident_id=1)
    assert "recipient" in caught.value.errors


ORGANISATIONS = ["police-fife", "sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha"]
THEMES = ["asb", "home_safety", "fire_safety", "mental_health"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    signatories=st.sets(st.sampled_from(ORGANISATIONS)),
    covered=st.sets(st.sampled_from(THEMES), min_size=1),
    wanted=st.sets(st.sampled_from(THEMES), min_size=1),
    status=st.sampled_from(["active", "draft", "suspended", "expired"]),
    starts_in_days=st.integers(min_value=-400, max_value=30),
    lasts_days=st.one_of(st.none(), st.integers(min_value=0, max_value=800)),
    level=st.sampled_from(["personal", "depersonalised", "aggregate"]),
    audience=st.sampled_from(["all_signatories", "relevant_partners"]),
    for_referral=st.booleans(),
    recipient=st.sampled_from(["police-fife", "sfrs-fife", "nhs-fife", "kingdom-ha"]),
)
def test_a_protocol_carries_a_referral_exactly_when_every_rule_holds(
    staff,
    types,
    signatories,
    covered,
    wanted,
    status,
    starts_in_days,
    lasts_days,
    level,
    audience,
    for_referral,
    recipient,
):
    # Only the protocol under test exists, so it alone decides.
    Protocol.objects.filter(partnership=types).update(status="superseded")
    today = timezone.localdate()
    starts = today + datetime.timedelta(days=starts_in_days)
    protocol = Protocol.objects.create(
        partnership=types,
        code="test-isp",
        version=Protocol.objects.filter(code="test-isp").count() + 1,
        title="Test protocol",
        status=status,
        effective_from=starts,
        expires_on=None if lasts_days is None else starts + datetime.timedelta(days=lasts_days),
        review_by=today,
        level=level,
        audience=audience,
        for_referral=for_referral,
        legal_basis="test",
        retention_months=12,
    )
    protocol.themes.set(Theme.objects.filter(code__in=covered, partnership__isnull=True))
    for code in signatories:
        Signatory.objects.create(protocol=protocol, organisation=org(code))
    carries = (
        status == "active"
        and starts <= today
        and (lasts_days is None or today <= protocol.expires_on)
        and for_referral
        and {SENDER, recipient} <= signatories
        and wanted <= covered
        and level == "personal"
    )
    try:
        referral = send(staff[SENDER], recipient=recipient, themes=sorted(wanted))
    except ReferralInvalid as refusal:
        assert not carries, refusal.errors
        assert set(refusal.errors) == {"protocol"}
    else:
        assert carries
        assert referral.protocol == protocol
        referral.delete()
    protocol.status = "superseded"
    protocol.save()
