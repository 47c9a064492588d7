"""The briefing's window: the last 24 hours to generate_at, the weekend on a Monday."""

import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from saferhub.briefings.models import BriefingSettings
from saferhub.briefings.services import briefing_window

LONDON = ZoneInfo("Europe/London")


def _local(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(LONDON).replace(tzinfo=None)


def test_an_ordinary_day_covers_the_24_hours_to_seven():
    start, end = briefing_window(BriefingSettings(), datetime.date(2026, 6, 17))

    assert _local(start) == datetime.datetime(2026, 6, 16, 7, 0)
    assert _local(end) == datetime.datetime(2026, 6, 17, 7, 0)
    assert end - start == datetime.timedelta(hours=24)


def test_mondays_cover_the_weekend_from_friday():
    start, end = briefing_window(BriefingSettings(), datetime.date(2026, 6, 15))

    assert _local(start) == datetime.datetime(2026, 6, 12, 7, 0)
    assert _local(end) == datetime.datetime(2026, 6, 15, 7, 0)


def test_a_monday_can_be_an_ordinary_day():
    settings = BriefingSettings(monday_covers_weekend=False)

    start, _ = briefing_window(settings, datetime.date(2026, 6, 15))

    assert _local(start) == datetime.datetime(2026, 6, 14, 7, 0)


def test_the_window_and_the_time_are_configurable():
    settings = BriefingSettings(window_hours=36, generate_at=datetime.time(8, 30))

    start, end = briefing_window(settings, datetime.date(2026, 6, 17))

    assert _local(start) == datetime.datetime(2026, 6, 15, 20, 30)
    assert _local(end) == datetime.datetime(2026, 6, 17, 8, 30)


def test_the_day_the_clocks_go_forward_has_a_23_hour_window():
    # 29 March 2026: at 01:00 GMT the clocks go to 02:00 BST.
    start, end = briefing_window(BriefingSettings(), datetime.date(2026, 3, 29))

    assert _local(start) == datetime.datetime(2026, 3, 28, 7, 0)
    assert _local(end) == datetime.datetime(2026, 3, 29, 7, 0)
    assert end - start == datetime.timedelta(hours=23)
    assert end.astimezone(datetime.UTC).hour == 6  # 07:00 BST


def test_the_day_the_clocks_go_back_has_a_25_hour_window():
    start, end = briefing_window(BriefingSettings(), datetime.date(2026, 10, 25))

    assert end - start == datetime.timedelta(hours=25)


@given(
    day=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2035, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    weekend=st.booleans(),
)
def test_each_briefing_starts_where_the_one_before_ended(day, hour, minute, weekend):
    """Day after day with the daily window, no hour is missed or counted twice, whatever
    the time of day and the clock changes; a Monday reaches back to Friday's end."""
    settings = BriefingSettings(
        generate_at=datetime.time(hour, minute), monday_covers_weekend=weekend
    )
    start, end = briefing_window(settings, day)
    assert start < end
    before = day - datetime.timedelta(days=3 if weekend and day.weekday() == 0 else 1)
    assert start == briefing_window(settings, before)[1]
    assert _local(end).date() == day


@given(
    hours=st.integers(1, 24 * 7), day=st.dates(datetime.date(2024, 1, 1), datetime.date(2030, 1, 1))
)
def test_a_longer_or_shorter_window_is_that_many_hours_of_the_clock(hours, day):
    settings = BriefingSettings(window_hours=hours, monday_covers_weekend=False)

    start, end = briefing_window(settings, day)

    # Within the hour the clocks may have moved in between.
    assert abs((end - start) - datetime.timedelta(hours=hours)) <= datetime.timedelta(hours=1)
