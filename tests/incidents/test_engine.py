"""The sharing engine's rules, one by one, each decided in Python and in the database alike."""

import datetime

import pytest
from django.utils import timezone

from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import INCIDENT_SHAPE, incidents_visible_to
from saferhub.incidents.services import emergency_disclosure_create
from saferhub.partnerships.models import Organisation, RoleAssignment
from saferhub.sharing.engine import RANK, decide, reader_for, visibility_filter
from saferhub.sharing.models import Level, Protocol
from tests.conftest import add_user
from tests.incidents.conftest import record

pytestmark = pytest.mark.django_db


def level(user, incident, purpose="tasking"):
    """The level by the rules in Python, checked against the database filter at every level."""
    reader = reader_for(user, purpose)
    incident = Incident.objects.get(pk=incident.pk)
    access = decide(
        reader,
        partnership_id=incident.partnership_id,
        owner_id=incident.owner_id,
        theme_ids={t.pk for t in incident.theme_list()},
        restricted=incident.restricted,
        relevant_partner_ids={o.pk for o in incident.relevant_partners.all()},
        emergency=incident.emergency_disclosures.filter(
            user=user, starts_at__lte=reader.now, ends_at__gt=reader.now
        ).exists(),
    )
    for threshold in (Level.AGGREGATE, Level.DEPERSONALISED, Level.PERSONAL):
        in_database = Incident.objects.filter(
            visibility_filter(reader, INCIDENT_SHAPE, threshold), pk=incident.pk
        ).exists()
        assert in_database == (access.rank >= RANK[threshold]), threshold
    listed = incidents_visible_to(reader=reader).filter(pk=incident.pk).exists()
    assert listed == (access.level in (Level.PERSONAL, Level.DEPERSONALISED))
    return access


def test_the_owner_sees_its_own_records_in_full(staff):
    incident = record(staff["police-fife"], themes=["domestic_abuse"])
    access = level(staff["police-fife"], incident)
    assert (access.level, access.shared_under.as_json()) == ("personal", "owner")


def test_a_protocol_shares_at_its_level_with_all_signatories(staff):
    incident = record(staff["fife-council-asb"], themes=["home_safety", "fire_safety"])
    access = level(staff["sfrs-fife"], incident)
    assert access.level == "personal"
    assert access.shared_under.as_json() == {"protocol": "fife-isp", "version": 3}


def test_a_theme_outside_every_protocol_shares_nothing(staff):
    incident = record(staff["police-fife"], themes=["domestic_abuse"])
    for code in ("sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha"):
        assert level(staff[code], incident).level == "none"


def test_a_protocol_must_cover_every_theme(staff):
    incident = record(staff["police-fife"], themes=["asb", "substance_misuse"])
    assert level(staff["sfrs-fife"], incident).level == "none"


def test_a_non_signatory_sees_nothing(staff):
    incident = record(staff["police-fife"], themes=["asb"])
    assert level(staff["nhs-fife"], incident).level == "none"


def test_relevant_partner_audience_needs_the_reader_named(staff):
    unnamed = record(staff["fife-council-asb"], themes=["asb"])
    named = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    assert level(staff["kingdom-ha"], unnamed).level == "none"
    access = level(staff["kingdom-ha"], named)
    assert access.level == "depersonalised"
    assert access.shared_under.as_json() == {"protocol": "fife-asb", "version": 1}


def test_the_highest_level_wins(staff):
    incident = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["police-fife"])
    access = level(staff["police-fife"], incident)
    assert access.level == "personal"
    assert access.shared_under.protocol_code == "fife-isp"


def test_the_purpose_must_be_covered(staff):
    incident = record(
        staff["fife-council-asb"], themes=["cuckooing"], relevant_partners=["kingdom-ha"]
    )
    assert level(staff["kingdom-ha"], incident, "tasking").level == "depersonalised"
    assert level(staff["kingdom-ha"], incident, "analysis").level == "none"


def test_a_restricted_record_goes_to_relevant_partners_only(staff):
    incident = record(
        staff["police-fife"], themes=["asb"], restricted=True, relevant_partners=["nhs-fife"]
    )
    access = level(staff["nhs-fife"], incident)
    assert (access.level, access.shared_under.as_json()) == ("personal", "relevant_partner")
    # fife-isp would share asb with the council, but the record is restricted.
    assert level(staff["fife-council-asb"], incident).level == "none"


def test_an_expired_or_suspended_protocol_stops_sharing(staff):
    incident = record(staff["fife-council-asb"], themes=["fire_safety"])
    assert level(staff["sfrs-fife"], incident).level == "personal"
    Protocol.objects.filter(code="fife-isp").update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert level(staff["sfrs-fife"], incident).level == "none"
    Protocol.objects.filter(code="fife-isp").update(expires_on=None, status="suspended")
    assert level(staff["sfrs-fife"], incident).level == "none"


def test_a_protocol_not_yet_in_effect_shares_nothing(staff):
    incident = record(staff["fife-council-asb"], themes=["fire_safety"])
    Protocol.objects.filter(code="fife-isp").update(
        effective_from=timezone.localdate() + datetime.timedelta(days=1)
    )
    assert level(staff["sfrs-fife"], incident).level == "none"


def test_an_emergency_disclosure_gives_personal_for_a_while(staff):
    incident = record(staff["fife-council-asb"], themes=["asb"], relevant_partners=["kingdom-ha"])
    housing = staff["kingdom-ha"]
    assert level(housing, incident).level == "depersonalised"
    emergency_disclosure_create(
        reader=reader_for(housing, "tasking"),
        incident=incident,
        reason="Tenant believed to be held in the flat by dealers tonight",
    )
    access = level(housing, incident)
    assert (access.level, access.shared_under.as_json()) == ("personal", "emergency")
    incident.emergency_disclosures.update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
    assert level(housing, incident).level == "depersonalised"


def test_a_manager_only_counts(staff, fife):
    incident = record(staff["police-fife"], themes=["asb"])
    manager = add_user(
        "boss.fife",
        partnership=fife,
        organisation=Organisation.objects.get(code="fife-council-asb"),
        roles=["manager"],
    )
    assert level(manager, incident).level == "aggregate"
    own = record(staff["fife-council-asb"], themes=["domestic_abuse"])
    assert level(manager, own).level == "aggregate"


def test_no_role_in_the_partnership_means_nothing(staff):
    incident = record(staff["fife-council-asb"], themes=["fire_safety"])
    fire = staff["sfrs-fife"]
    RoleAssignment.objects.filter(user=fire).delete()
    assert level(fire, incident).level == "none"
