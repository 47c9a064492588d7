"""A person record is seen through the referrals and cases about it, as through the incidents
it appears in (DESIGN.md section 4): at the highest level at which the reader may see any of
them, and not at all when they may see none."""

import pytest

from saferhub.audit.models import AuditEvent
from saferhub.cases.services import CaseInput, case_open
from saferhub.partnerships.models import Partnership
from saferhub.people.selectors import person_records_visible_to
from saferhub.sharing.engine import reader_for
from tests.referrals.conftest import client_for, person_of, send, staff, types  # noqa: F401

pytestmark = pytest.mark.django_db


def page_of(user, record):
    return client_for(user).get(f"/partnerships/fife/people/{record.pk}/")


def test_a_referral_opens_its_subject_to_the_recipient_and_by_protocol_only(staff, types):  # noqa: F811
    council = staff["fife-council-asb"]
    tenant = person_of(council, given_name="Agnes", family_name="Lumsden")
    # No incident names her: before the referral only the council may see her record.
    assert page_of(staff["sfrs-fife"], tenant).status_code == 404

    send(council, person_record_id=tenant.pk, protocol="fife-isp")

    # The fire service received it: her record in full, and the read is audited as theirs.
    fire = page_of(staff["sfrs-fife"], tenant)
    assert fire.status_code == 200
    assert "Lumsden" in fire.content.decode()
    event = AuditEvent.objects.filter(
        record_type="person_record", record_id=tenant.pk, actor_organisation="sfrs-fife"
    ).get()
    assert (event.partnership_code, event.level, event.basis) == ("fife", "personal", "recipient")
    # The police see the referral under fife-isp (tasking, personal), so her record too.
    assert "Lumsden" in page_of(staff["police-fife"], tenant).content.decode()
    # Housing and the NHS signed nothing that covers it: it does not exist for them.
    for code in ("kingdom-ha", "nhs-fife"):
        assert page_of(staff[code], tenant).status_code == 404
        reader = reader_for(staff[code], "tasking")
        assert not person_records_visible_to(reader=reader).filter(pk=tenant.pk).exists()


def test_a_case_shows_its_subject_at_the_case_level(staff):  # noqa: F811
    council = staff["fife-council-asb"]
    tenant = person_of(council, given_name="Morag", family_name="Lindsay")
    case_open(
        user=council,
        partnership=Partnership.objects.get(code="fife"),
        data=CaseInput(
            title="Flat taken over",
            subject="person",
            person_record_id=tenant.pk,
            themes=["cuckooing"],
            relevant_partners=["kingdom-ha"],
        ),
    )
    # fife-asb shares cuckooing depersonalised with the relevant partners it names: housing
    # sees her as a pseudonym; the police signed it but are not named, so see nothing.
    housing = page_of(staff["kingdom-ha"], tenant)
    assert housing.status_code == 200
    assert "Lindsay" not in housing.content.decode()
    assert "Morag" not in housing.content.decode()
    assert page_of(staff["police-fife"], tenant).status_code == 404
