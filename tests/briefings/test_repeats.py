"""The briefing's repeat rules: N or more incidents in the repeat window, counted only from
what the reader may see, with linked records counting as one place or person."""

import datetime
from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saferhub.briefings.models import BriefingSettings
from saferhub.incidents.services import PersonInput
from saferhub.linkage.models import Entity, RecordLink
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from tests.briefings.conftest import version_of
from tests.incidents.conftest import record

VICTIM = PersonInput("victim", "Margaret", "Haddow", datetime.date(1948, 5, 17), "female")


def _days_before_end(briefing, days: float) -> datetime.datetime:
    return briefing.window_end - datetime.timedelta(days=days)


def _at_place(user, briefing, days_ago: list[float], address="7 Mill Wynd", **fields):
    return [
        record(
            user,
            occurred_at=_days_before_end(briefing, d),
            address=address,
            people=fields.pop("people", []),
            **fields,
        )
        for d in days_ago
    ]


def test_three_incidents_at_one_place_make_a_repeat_and_two_do_not(staff, briefing):
    police = staff["police-fife"]
    _at_place(police, briefing, [1, 5, 10])
    _at_place(police, briefing, [2, 6], address="9 Other Street")

    (repeat,) = version_of(police, briefing).repeat_places

    assert repeat.count == 3
    assert repeat.label == "7 Mill Wynd, KY1 1AA"


def test_the_threshold_is_configurable(staff, briefing, fife):
    BriefingSettings.objects.create(partnership=fife, repeat_threshold=4)
    police = staff["police-fife"]
    _at_place(police, briefing, [1, 5, 10])

    assert version_of(police, briefing).repeat_places == []

    _at_place(police, briefing, [11])
    assert [r.count for r in version_of(police, briefing).repeat_places] == [4]


@pytest.mark.parametrize(
    ("oldest", "repeat"),
    [(28, True), (27.99, True), (28.01, False), (29, False)],
)
def test_the_repeat_window_is_28_days_to_the_end_of_the_briefing(staff, briefing, oldest, repeat):
    police = staff["police-fife"]
    _at_place(police, briefing, [0.5, 3, oldest])

    assert bool(version_of(police, briefing).repeat_places) is repeat


def test_the_repeat_window_is_configurable(staff, briefing, fife):
    BriefingSettings.objects.create(partnership=fife, repeat_window_days=7)
    police = staff["police-fife"]
    _at_place(police, briefing, [1, 3, 8])

    assert version_of(police, briefing).repeat_places == []


def test_the_address_is_compared_without_case_or_spacing(staff, briefing):
    police = staff["police-fife"]
    _at_place(police, briefing, [1], address="7 Mill Wynd")
    _at_place(police, briefing, [2], address="7  mill WYND", postcode="ky1 1aa")
    _at_place(police, briefing, [3], address="7 Mill Wynd ")

    assert [r.count for r in version_of(police, briefing).repeat_places] == [3]


def test_a_repeat_is_not_revealed_by_incidents_the_reader_cannot_see(staff, briefing):
    police, nhs = staff["police-fife"], staff["nhs-fife"]
    # NHS Fife signs no protocol: the police cannot see its incidents at all.
    _at_place(nhs, briefing, [1, 2], people=[VICTIM])
    _at_place(police, briefing, [3], people=[VICTIM])

    police_version = version_of(police, briefing)
    assert police_version.repeat_places == []
    assert police_version.repeat_people["victim"] == []
    # NHS Fife sees its own two and not the police's one: no repeat either.
    assert version_of(nhs, briefing).repeat_places == []


def test_incidents_at_aggregate_only_do_not_make_a_repeat(staff, briefing):
    police = staff["police-fife"]
    _at_place(police, briefing, [1, 2, 3])
    from saferhub.partnerships.models import User

    manager = User.objects.get(username="sam.boyd")

    assert version_of(manager, briefing).repeat_places == []


def test_place_records_linked_as_one_place_count_as_one(staff, briefing, fife):
    police, council = staff["police-fife"], staff["fife-council-asb"]
    ours = PlaceRecord.objects.create(
        organisation=police.organisation, source_ref="P1", address_line_1="7 Mill Wynd"
    )
    theirs = PlaceRecord.objects.create(
        organisation=council.organisation, source_ref="C1", address_line_1="Flat 1, 7 Mill Wynd"
    )
    place = Entity.objects.create(partnership=fife, kind="place")
    for linked in (ours, theirs):
        RecordLink.objects.create(
            entity=place,
            partnership=fife,
            place_record=linked,
            match_probability=1,
            linked_by="bulk",
        )
    _at_place(police, briefing, [1, 2], place_record_id=ours.pk, address="7 Mill Wynd")
    _at_place(council, briefing, [3], place_record_id=theirs.pk, address="Flat 1, 7 Mill Wynd")

    assert [r.count for r in version_of(police, briefing).repeat_places] == [3]


def test_a_repeat_victim_subject_and_perpetrator_by_person(staff, briefing):
    police = staff["police-fife"]
    darren = PersonInput("perpetrator", "Darren", "Kelso", datetime.date(1991, 2, 3), "male")
    for days in (1, 4, 9):
        record(
            police,
            occurred_at=_days_before_end(briefing, days),
            address=f"{days} Somewhere",
            people=[VICTIM, darren],
        )
    # The same name typed differently is the same subject.
    record(
        police,
        occurred_at=_days_before_end(briefing, 12),
        people=[PersonInput("subject_of_concern", "margaret", "HADDOW", VICTIM.date_of_birth)],
    )

    people = version_of(police, briefing).repeat_people

    assert [(r.label, r.count) for r in people["victim"]] == [("Margaret Haddow", 3)]
    assert [(r.label, r.count) for r in people["perpetrator"]] == [("Darren Kelso", 3)]
    assert people["subject_of_concern"] == []


def test_person_records_linked_as_one_person_count_as_one(staff, briefing, fife):
    police, fire = staff["police-fife"], staff["sfrs-fife"]
    records = [
        PersonRecord.objects.create(
            organisation=user.organisation,
            source_ref=f"R{n}",
            given_name=name,
            family_name="Haddow",
        )
        for n, (user, name) in enumerate([(police, "Margaret"), (fire, "Maggie")])
    ]
    person = Entity.objects.create(partnership=fife, kind="person")
    for linked in records:
        RecordLink.objects.create(
            entity=person,
            partnership=fife,
            person_record=linked,
            match_probability=0.97,
            linked_by="bulk",
        )
    for days, user, linked, name in [
        (1, police, records[0], "Margaret"),
        (2, police, records[0], "Margaret"),
        (3, fire, records[1], "Maggie"),
    ]:
        record(
            user,
            occurred_at=_days_before_end(briefing, days),
            address=f"{days} Somewhere",
            people=[PersonInput("victim", name, "Haddow", person_record_id=linked.pk)],
        )

    (repeat,) = version_of(police, briefing).repeat_people["victim"]

    assert repeat.count == 3


def test_a_depersonalised_repeat_shows_a_pseudonym_and_data_zone(staff, briefing):
    police, housing = staff["police-fife"], staff["kingdom-ha"]
    for days in (1, 2, 3):
        record(
            police,
            occurred_at=_days_before_end(briefing, days),
            relevant_partners=["kingdom-ha"],
            people=[VICTIM],
        )

    version = version_of(housing, briefing)

    (place,) = version.repeat_places
    assert place.label == "Data zone S01009876"
    (victim,) = version.repeat_people["victim"]
    assert victim.label.startswith("Person ") and "Haddow" not in victim.label
    assert victim.detail == "Age band 75 and over"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    events=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 35), st.booleans()), max_size=14)
)
def test_repeat_places_are_a_plain_count_of_what_the_reader_sees(staff, briefing, events):
    """Whatever the incidents, the police's repeat places are the places with 3 or more of
    the police's own incidents (NHS Fife's are hidden from them) in the last 28 days."""
    police, nhs = staff["police-fife"], staff["nhs-fife"]
    with transaction.atomic():
        for place, days, by_police in events:
            record(
                police if by_police else nhs,
                occurred_at=_days_before_end(briefing, days + 1 / 48),
                address=f"{place} Test Street",
                people=[],
            )
        seen = Counter(place for place, days, by_police in events if by_police and days < 28)
        expected = {f"{place} Test Street, KY1 1AA": n for place, n in seen.items() if n >= 3}

        found = {r.label: r.count for r in version_of(police, briefing).repeat_places}

        transaction.set_rollback(True)
    assert found == expected
