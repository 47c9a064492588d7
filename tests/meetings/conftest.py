"""A Fife meeting run by the council's coordinator, and ways to make the records it discusses."""

import datetime

import pytest
from django.utils import timezone

from saferhub.actions.services import ActionInput, action_create
from saferhub.cases.models import Case
from saferhub.meetings.models import AgendaItem, ItemKind, Meeting
from saferhub.meetings.services import MeetingInput, meeting_schedule
from saferhub.partnerships.models import Organisation, Partnership, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.referrals.models import Referral, ReferralType
from saferhub.sharing.models import Protocol
from tests.incidents.conftest import client_for, record, staff  # noqa: F401

ALL = ["police-fife", "sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha"]


@pytest.fixture
def coordinator(fife) -> User:
    """ali.khan: coordinator (and admin) in Fife, at the council's ASB team."""
    return User.objects.get(username="ali.khan")


def organisation(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def schedule(user: User, *, invited=ALL, starts_at=None, **fields) -> Meeting:
    data = MeetingInput(
        starts_at=starts_at or timezone.now() + datetime.timedelta(days=1),
        invited_organisations=list(invited),
        **fields,
    )
    return meeting_schedule(user=user, partnership=Partnership.objects.get(code="fife"), data=data)


def item_about(meeting: Meeting, record_type: str, record_id: int, kind=ItemKind.OTHER):
    position = meeting.items.count() + 1
    return AgendaItem.objects.create(
        meeting=meeting,
        position=position,
        kind=kind,
        proposed=True,
        record_type=record_type,
        record_id=record_id,
    )


def mask(*themes: str) -> int:
    return ThemeBook.of(Partnership.objects.get(code="fife")).mask_of(themes)


def person_record(owner: str, given="Margaret", family="Haddow", born=datetime.date(1948, 5, 17)):
    found, _ = PersonRecord.objects.get_or_create(
        organisation=organisation(owner),
        source_ref=f"P-{owner}-{given}-{family}",
        defaults=dict(given_name=given, family_name=family, date_of_birth=born, sex="female"),
    )
    return found


def place_record(owner: str, line="14 Hilltown", data_zone="S01009876"):
    return PlaceRecord.objects.create(
        organisation=organisation(owner),
        source_ref=f"L-{owner}-{line}",
        address_line_1=line,
        town="Kirkcaldy",
        postcode="KY1 1AA",
        data_zone=data_zone,
    )


def case(owner: str, *, rag="red", stage="analysis", themes=("asb",), **fields) -> Case:
    return Case.objects.create(
        partnership=Partnership.objects.get(code="fife"),
        owner=organisation(owner),
        title=fields.pop("title", "Cuckooing at Margaret Haddow's flat"),
        subject=fields.pop("subject", "person"),
        theme_mask=mask(*themes),
        rag=rag,
        stage=stage,
        opened_at=fields.pop("opened_at", timezone.now() - datetime.timedelta(days=30)),
        **fields,
    )


def referral(owner: str, recipient: str, *, urgency="red", sent_at=None, themes=("asb",), **kw):
    fife = Partnership.objects.get(code="fife")
    kind, _ = ReferralType.objects.get_or_create(
        partnership=fife, code="hfsv", defaults={"name": "Home fire safety visit"}
    )
    sent = sent_at or timezone.now() - datetime.timedelta(days=2)
    return Referral.objects.create(
        partnership=fife,
        owner=organisation(owner),
        recipient=organisation(recipient),
        referral_type=kind,
        theme_mask=mask(*themes),
        urgency=urgency,
        reason=kw.pop("reason", "Margaret Haddow smokes in bed; no working alarm."),
        person_record=kw.pop("person_record", None) or person_record(owner),
        lawful_basis="protocol",
        protocol=Protocol.objects.get(partnership=fife, code="fife-isp"),
        sent_at=sent,
        due_at=sent + datetime.timedelta(hours=4),
        **kw,
    )


def action(user: User, assignee: str, *, due_on=None, themes=("asb",), **fields):
    data = ActionInput(
        title=fields.pop("title", "Visit Margaret Haddow at 12 Hilltown"),
        assignee_organisation=assignee,
        due_on=due_on or timezone.localdate() + datetime.timedelta(days=7),
        themes=list(themes),
        **fields,
    )
    return action_create(user=user, partnership=Partnership.objects.get(code="fife"), data=data)
