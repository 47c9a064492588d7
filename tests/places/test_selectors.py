"""Finding place records, and the sharing rule every read goes through."""

import pytest

from saferhub.partnerships.models import User
from saferhub.places.models import PlaceRecord
from saferhub.places.selectors import (
    place_choices,
    place_record_visible_to,
    place_records_visible_to,
    place_search,
)
from saferhub.sharing.engine import reader_for
from saferhub.sharing.models import Level, Purpose
from tests.places.conftest import happened_at, hold_place

pytestmark = pytest.mark.django_db


def reader(user: User):
    return reader_for(user, Purpose.TASKING)


@pytest.mark.parametrize(
    "criteria",
    [
        {"text": "hilltown"},
        {"text": "14 Hilltown Terr"},
        {"text": "terrace 14, DUNDEE"},
        {"text": "dd1 4hn"},
        {"postcode": "dd14hn"},
        {"postcode": "DD1 4"},
        {"postcode": "DD1"},
        {"uprn": "906700123456"},
        {"uprn": "0906700123456"[1:]},
        {"text": "hilltown", "postcode": "DD1 4HN", "uprn": "906700123456"},
    ],
)
def test_a_place_is_found_by_its_address_postcode_or_uprn(flat, staff, criteria):
    assert place_search(reader=reader(staff["fife-council-asb"]), **criteria) == [flat]


@pytest.mark.parametrize(
    "criteria",
    [
        {"text": "illtown"},  # words match from their start
        {"text": "hilltown perth"},
        {"postcode": "DD1 4HP"},
        {"postcode": "DD1 5"},
        {"postcode": "DD11"},
        {"uprn": "906700123457"},
        {"text": "hilltown", "postcode": "DD3 6LX"},
        {},
    ],
)
def test_a_place_is_not_found_by_what_it_is_not(flat, staff, criteria):
    assert place_search(reader=reader(staff["fife-council-asb"]), **criteria) == []


def test_a_postcode_search_must_be_a_postcode_or_its_start(flat, staff):
    with pytest.raises(ValueError, match="not a postcode or the start of one"):
        place_search(reader=reader(staff["fife-council-asb"]), postcode="Hilltown")


def test_partners_find_the_place_only_when_they_may_see_it_in_full(shared_flat, staff):
    for code in ("police-fife", "sfrs-fife"):
        assert place_search(reader=reader(staff[code]), text="hilltown") == [shared_flat], code
    housing = reader(staff["kingdom-ha"])
    assert shared_flat in place_records_visible_to(reader=housing)
    _, access, _ = place_record_visible_to(reader=housing, record_id=shared_flat.pk)
    assert access.level == Level.DEPERSONALISED
    # Finding it by its address would say which address stands behind the data zone.
    assert place_search(reader=housing, text="hilltown") == []
    assert place_search(reader=housing, postcode="DD1 4HN") == []
    assert place_search(reader=housing, uprn="906700123456") == []
    nhs = reader(staff["nhs-fife"])
    assert place_search(reader=nhs, text="hilltown") == []
    with pytest.raises(PlaceRecord.DoesNotExist):
        place_record_visible_to(reader=nhs, record_id=shared_flat.pk)


def test_a_manager_sees_no_place_records(shared_flat, fife):
    manager = reader(User.objects.get(username="sam.boyd"))
    assert not place_records_visible_to(reader=manager).exists()
    assert place_search(reader=manager, text="hilltown") == []


def test_a_restricted_incident_shows_its_place_to_its_relevant_partners_only(flat, staff):
    happened_at(flat, staff["fife-council-asb"], restricted=True, relevant_partners=["nhs-fife"])
    assert place_search(reader=reader(staff["nhs-fife"]), text="hilltown") == [flat]
    for code in ("police-fife", "kingdom-ha"):
        assert place_search(reader=reader(staff[code]), text="hilltown") == []


def test_the_picker_offers_only_the_readers_own_places(shared_flat, staff):
    council, police = staff["fife-council-asb"], staff["police-fife"]
    for text in ("hill", "DD1 4HN", "dd1 4", "906700123456"):
        offered = place_choices(
            reader=reader(council), organisation_id=council.organisation_id, text=text
        )
        assert offered == [shared_flat], text
    hold_place(police, "P1", address_line_1="1 Hilltown")
    for user in (police, staff["kingdom-ha"], staff["nhs-fife"]):
        offered = place_choices(
            reader=reader(user), organisation_id=council.organisation_id, text="hill"
        )
        assert offered == [], user
    assert [
        p.source_ref
        for p in place_choices(
            reader=reader(police), organisation_id=police.organisation_id, text="hill"
        )
    ] == ["P1"]
