"""What the Analysis area may count: only through the sharing engine, for `analysis`."""

import datetime

import pytest
from django.utils import timezone

from saferhub.analysis.selectors import analysis_events, analysis_reader, published
from saferhub.analysis.services import Scope, repeats_analyse, trends_analyse
from saferhub.incidents.services import PersonInput
from saferhub.linkage.models import Entity, LinkedBy, RecordLink
from saferhub.partnerships.models import Organisation, Theme, User
from saferhub.people.models import PersonRecord
from saferhub.sharing.models import Level, Protocol
from tests.conftest import add_user
from tests.incidents.conftest import record

TODAY = timezone.localdate()
PERIOD = {"date_from": TODAY - datetime.timedelta(days=364), "date_to": TODAY}


def practitioners(fife) -> dict[str, User]:
    """One practitioner in each Fife organisation, by organisation code."""
    return {
        code: add_user(
            f"worker.{code}",
            partnership=fife,
            organisation=Organisation.objects.get(code=code),
            roles=["practitioner"],
        )
        for code in ("police-fife", "sfrs-fife", "fife-council-asb", "nhs-fife", "kingdom-ha")
    }


@pytest.fixture
def staff(fife) -> dict[str, User]:
    return practitioners(fife)


def analyst(fife, code: str) -> User:
    return add_user(
        f"analyst.{code}",
        partnership=fife,
        organisation=Organisation.objects.get(code=code),
        roles=["analyst"],
    )


def aggregate_protocol(fife, *codes: str) -> Protocol:
    """An analysis protocol at `aggregate` for asb between the organisations `codes`."""
    protocol = Protocol.objects.create(
        partnership=fife,
        code="fife-analysis",
        version=1,
        title="Fife analysis (counts only)",
        status="active",
        effective_from=TODAY - datetime.timedelta(days=900),
        review_by=TODAY + datetime.timedelta(days=365),
        level=Level.AGGREGATE,
        audience="all_signatories",
        for_analysis=True,
        legal_basis="UK GDPR Art 6(1)(e)",
        retention_months=12,
    )
    protocol.signatories.set(Organisation.objects.filter(code__in=codes))
    protocol.themes.set(Theme.objects.filter(partnership__isnull=True, code="asb"))
    return protocol


def days_ago(days: int, hour: int = 12) -> datetime.datetime:
    return timezone.now().replace(hour=hour, minute=0) - datetime.timedelta(days=days)


def scope_for(user, fife, **more) -> Scope:
    return Scope(reader=analysis_reader(user, fife), partnership=fife, **PERIOD, **more)


def test_published_suppresses_counts_from_1_to_4():
    assert str(published(0)) == "0"
    assert [published(n).suppressed for n in range(1, 5)] == [True] * 4
    assert str(published(3)) == "fewer than 5"
    assert str(published(5)) == "5"
    assert str(published(1234)) == "1,234"


def test_a_partner_without_an_analysis_protocol_counts_none_of_another_organisations(fife, staff):
    for day in range(8):
        record(staff["police-fife"], fife, occurred_at=days_ago(day * 3))
    housing = analyst(fife, "kingdom-ha")
    police = analyst(fife, "police-fife")

    assert (
        len(analysis_events(reader=analysis_reader(housing, fife), partnership=fife, **PERIOD)) == 0
    )
    assert trends_analyse(scope_for(housing, fife)).total.value == 0
    assert trends_analyse(scope_for(police, fife)).total.value == 8


def test_an_incident_with_two_themes_counts_once_in_all_and_once_in_each_theme(fife, staff):
    for day in range(5):
        record(staff["police-fife"], fife, occurred_at=days_ago(day), themes=["asb", "violence"])
    police = analyst(fife, "police-fife")
    by_theme = trends_analyse(scope_for(police, fife), by="theme")
    assert by_theme.total.value == 5
    assert {row["group"]: row["now"].value for row in by_theme.comparison} == {
        "Antisocial behaviour": 5,
        "Violence": 5,
    }


def test_a_theme_filter_counts_only_that_theme(fife, staff):
    for day in range(6):
        record(staff["police-fife"], fife, occurred_at=days_ago(day), themes=["violence"])
    record(staff["police-fife"], fife, occurred_at=days_ago(1), themes=["asb"])
    police = analyst(fife, "police-fife")
    assert trends_analyse(scope_for(police, fife, theme="violence")).total.value == 6
    assert trends_analyse(scope_for(police, fife, theme="no-such-theme")).total.value == 0


def test_the_tasking_protocol_does_not_open_records_to_analysis(fife, staff):
    # fife-asb shares asb with the housing association, but for tasking only
    record(staff["police-fife"], fife, relevant_partners=["kingdom-ha"])
    housing = analyst(fife, "kingdom-ha")
    reader = analysis_reader(housing, fife)
    assert len(analysis_events(reader=reader, partnership=fife, **PERIOD)) == 0


def test_an_aggregate_partner_counts_without_listing_and_small_counts_are_suppressed(fife, staff):
    aggregate_protocol(fife, "police-fife", "nhs-fife")
    for day in range(3):
        record(staff["police-fife"], fife, occurred_at=days_ago(day), category="vandalism")
    for day in range(6):
        record(staff["police-fife"], fife, occurred_at=days_ago(day), category="noise")
    nhs = analyst(fife, "nhs-fife")

    events = analysis_events(reader=analysis_reader(nhs, fife), partnership=fife, **PERIOD)
    assert len(events) == 9
    assert not events["listable"].any()
    assert set(events.columns) == {
        "incident",
        "occurred_at",
        "category",
        "themes",
        "data_zone",
        "place_key",
        "easting",
        "northing",
        "listable",
    }
    by_category = {
        row["group"]: row["now"]
        for row in trends_analyse(scope_for(nhs, fife), by="category").comparison
    }
    assert str(by_category["Vandalism"]) == "fewer than 5"
    assert by_category["Noise nuisance"].value == 6
    # Repeat locations count, but the aggregate partner is never shown a list of places.
    result = repeats_analyse(scope_for(nhs, fife))
    assert result.locations.events.value == 9
    assert result.top_locations == []


def test_the_owner_sees_its_repeat_location_listed_by_data_zone_only(fife, staff):
    for day in range(6):
        record(staff["police-fife"], fife, occurred_at=days_ago(day * 5), address="4 Mill Wynd")
    police = analyst(fife, "police-fife")
    result = repeats_analyse(scope_for(police, fife))
    assert result.locations.repeat_keys.suppressed  # one place: fewer than 5
    assert result.locations.repeat_events.value == 5
    [top] = result.top_locations
    assert top["data_zone"] == "S01009876"
    assert top["events"].value == 6
    assert "Mill" not in str(top)


def _person(code: str, ref: str, given: str) -> PersonRecord:
    return PersonRecord.objects.create(
        organisation=Organisation.objects.get(code=code),
        source_ref=ref,
        given_name=given,
        family_name="Haddow",
        given_key=given.lower(),
        family_key="haddow",
        date_of_birth=datetime.date(1950, 1, 1),
        date_of_birth_precision="day",
        sex="female",
    )


@pytest.mark.parametrize("linked", [True, False])
def test_repeat_victims_are_counted_by_linked_person(fife, staff, linked):
    # Five people, each a victim once in the police's records and once in the council's.
    for number in range(5):
        held_by_police = _person("police-fife", f"P-{number}", f"Ann{number}")
        held_by_council = _person("fife-council-asb", f"C-{number}", f"Anne{number}")
        if linked:
            entity = Entity.objects.create(partnership=fife, kind="person")
            for held in (held_by_police, held_by_council):
                RecordLink.objects.create(
                    entity=entity,
                    partnership=fife,
                    person_record=held,
                    match_probability=1.0,
                    linked_by=LinkedBy.BULK,
                )
        for user, held, day in (
            (staff["police-fife"], held_by_police, 20),
            (staff["fife-council-asb"], held_by_council, 10),
        ):
            record(
                user,
                fife,
                occurred_at=days_ago(day + number),
                people=[PersonInput("victim", held.given_name, "Haddow", None, "female", held.pk)],
            )
    police = analyst(fife, "police-fife")
    victims = repeats_analyse(scope_for(police, fife)).victims
    assert victims.events.value == 10
    assert victims.repeat_keys.value == (5 if linked else 0)
