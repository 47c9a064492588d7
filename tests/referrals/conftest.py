"""Fife with a practitioner in each organisation, and a way to send referrals."""

import datetime

import pytest

from saferhub.partnerships.models import Partnership, User
from saferhub.people.models import PersonAddress, PersonRecord
from saferhub.referrals.models import Referral
from saferhub.referrals.services import ReferralInput, referral_send, referral_types_ensure
from tests.incidents.conftest import client_for, record, staff  # noqa: F401

# The people of tests.incidents.conftest.record's incidents, and its address.
SUBJECT_DETAILS = ("Margaret", "Haddow", "Darren", "Kelso", "12 Hilltown", "KY1 1AA")


@pytest.fixture
def types(fife) -> Partnership:
    referral_types_ensure(fife)
    return fife


def referral_input(**fields) -> ReferralInput:
    """A referral to the fire service for a home fire safety visit under a protocol,
    with whatever the test changes."""
    defaults = {
        "recipient": "sfrs-fife",
        "referral_type": "home-fire-safety-visit",
        "themes": ["home_safety"],
        "urgency": "amber",
        "reason": "Elderly tenant, heavy smoker, no working smoke alarm seen on visit.",
        "lawful_basis": "protocol",
    }
    return ReferralInput(**{**defaults, **fields})


def send(user: User, *, now: datetime.datetime | None = None, **fields) -> Referral:
    """Send a referral as `user` about a fresh incident of theirs (unless the test names a
    subject)."""
    if not ({"incident_id", "person_record_id", "place_record_id"} & fields.keys()):
        fields["incident_id"] = record(user, themes=["home_safety"]).pk
    return referral_send(
        user=user,
        partnership=Partnership.objects.get(code="fife"),
        data=referral_input(**fields),
        now=now,
    )


def person_of(user: User, **fields) -> PersonRecord:
    """A person record the user's organisation holds, with an address."""
    person = PersonRecord.objects.create(
        organisation_id=user.organisation_id,
        source_ref=fields.pop("source_ref", f"P-{PersonRecord.objects.count() + 1}"),
        given_name=fields.pop("given_name", "Agnes"),
        family_name=fields.pop("family_name", "Lumsden"),
        date_of_birth=fields.pop("date_of_birth", datetime.date(1941, 8, 9)),
        sex="female",
        **fields,
    )
    PersonAddress.objects.create(
        person=person, address="3 Links Street, Kirkcaldy", postcode="KY1 1QH"
    )
    return person
