"""The demo's briefing history: a week of published briefings, loaded once."""

import datetime

from django.utils import timezone

from saferhub.actions.models import Action
from saferhub.briefings.models import Briefing, BriefingStatus
from saferhub.demo.briefings import demo_briefings_load

NOW = timezone.make_aware(datetime.datetime(2026, 6, 17, 9, 0))


def test_a_week_of_published_briefings_with_notes_and_tasks(fife):
    assert demo_briefings_load(partnership=fife, seed=1, now=NOW) == 7

    briefings = list(Briefing.objects.order_by("for_date"))
    assert [b.for_date for b in briefings] == [
        datetime.date(2026, 6, 11) + datetime.timedelta(days=n) for n in range(7)
    ]
    assert all(b.status == BriefingStatus.PUBLISHED and b.notes for b in briefings)
    for briefing in briefings:
        assert 1 <= Action.objects.filter(briefing=briefing).count() <= 2
    assert {b.published_by.username for b in briefings} == {"ali.khan"}


def test_loading_again_changes_nothing(fife):
    demo_briefings_load(partnership=fife, seed=1, now=NOW)
    actions = Action.objects.count()

    assert demo_briefings_load(partnership=fife, seed=1, now=NOW) == 0
    assert Action.objects.count() == actions
