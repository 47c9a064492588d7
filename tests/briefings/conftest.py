"""Fife with a practitioner in each organisation, its coordinator, and a briefing to read."""

import datetime

import pytest

from saferhub.briefings.models import Briefing, MadeBy
from saferhub.briefings.selectors import briefing_for_reader, briefing_reader
from saferhub.briefings.services import briefing_make
from saferhub.partnerships.models import Partnership, User
from tests.incidents.conftest import staff  # noqa: F401

# A Wednesday, far from the clock changes: its window is 07:00 Tuesday to 07:00 Wednesday.
WEDNESDAY = datetime.date(2026, 6, 17)


@pytest.fixture
def coordinator(fife) -> User:
    """Ali Khan: coordinator (and admin) for Fife Council's ASB team."""
    return User.objects.get(username="ali.khan")


@pytest.fixture
def briefing(fife) -> Briefing:
    return briefing_make(partnership=fife, for_date=WEDNESDAY, made_by=MadeBy.COMMAND)


def hours_before_end(briefing: Briefing, hours: float) -> datetime.datetime:
    return briefing.window_end - datetime.timedelta(hours=hours)


def version_of(user: User, briefing: Briefing):
    """`user`'s version of the briefing, read as of the briefing's day."""
    return briefing_for_reader(briefing_reader(user, briefing), briefing)


def fife_of() -> Partnership:
    return Partnership.objects.get(code="fife")
