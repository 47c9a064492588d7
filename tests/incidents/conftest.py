"""A Fife partnership with a user in each organisation, and a way to record incidents."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from saferhub.incidents.services import IncidentInput, PersonInput, incident_create
from saferhub.partnerships.models import Organisation, Partnership, User
from tests.conftest import add_user, log_in


@pytest.fixture
def staff(fife) -> dict[str, User]:
    """One practitioner in each Fife organisation, by organisation code."""
    users = {}
    for code in ("police-fife", "sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha"):
        users[code] = add_user(
            f"worker.{code}",
            partnership=fife,
            organisation=Organisation.objects.get(code=code),
            roles=["practitioner"],
        )
    return users


def record(user: User, partnership: Partnership | None = None, **fields):
    """Record an incident as `user`, with sensible defaults for what the test does not say."""
    people = fields.pop("people", None)
    data = IncidentInput(
        category=fields.pop("category", "noise"),
        themes=fields.pop("themes", ["asb"]),
        occurred_at=fields.pop("occurred_at", timezone.now() - datetime.timedelta(hours=3)),
        risk=fields.pop("risk", "amber"),
        address=fields.pop("address", "12 Hilltown"),
        postcode=fields.pop("postcode", "KY1 1AA"),
        data_zone=fields.pop("data_zone", "S01009876"),
        narrative=fields.pop("narrative", "Loud music until 3am, neighbour in tears."),
        people=people
        if people is not None
        else [
            PersonInput("victim", "Margaret", "Haddow", datetime.date(1948, 5, 17), "female"),
            PersonInput("subject_of_concern", "Darren", "Kelso", datetime.date(1991, 2, 3), "male"),
        ],
        **fields,
    )
    return incident_create(
        user=user, partnership=partnership or Partnership.objects.get(code="fife"), data=data
    )


def client_for(user: User) -> Client:
    client = Client()
    log_in(client, user)
    return client
