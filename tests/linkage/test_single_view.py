"""The single view of a linked person: each record at the reader's own level, and nothing at
all about the records the reader may not see (DESIGN.md section 4)."""

from saferhub.linkage.models import Entity, EntityKind
from saferhub.linkage.selectors import entities_visible_to, entity_single_view
from saferhub.sharing.engine import reader_for, reader_in_partnership
from saferhub.sharing.models import Level, Purpose
from tests.incidents.conftest import client_for
from tests.linkage import entities
from tests.linkage.entities import held, linked, member

# The fixtures these tests use, from tests/linkage/entities.py.
margaret_linked, staff, three_records = (
    entities.margaret_linked,
    entities.staff,
    entities.three_records,
)

OTHERS = ("NHS Fife", "NHS-0777", "Peggy", "Police Scotland", "POL-0909", "Maggie")


def _reader(user, fife):
    return reader_in_partnership(reader_for(user, Purpose.TASKING), fife.pk)


def _url(entity_id: int) -> str:
    return f"/partnerships/fife/people/entities/{entity_id}/"


def test_a_partner_sees_only_the_record_it_may_see(fife, staff, margaret_linked):
    fire = staff["sfrs-fife"]

    view = entity_single_view(
        reader=_reader(fire, fife), entity_id=margaret_linked.pk, partnership=fife
    )

    assert [shown.record.source_ref for shown in view.records] == ["ASB-P-0042"]
    assert view.level == Level.PERSONAL


def test_the_page_holds_no_hint_of_the_records_hidden_from_the_reader(fife, staff, margaret_linked):
    response = client_for(staff["sfrs-fife"]).get(_url(margaret_linked.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Margaret Haddow" in page
    assert "Fife Council, Safer Communities" in page
    for hidden in OTHERS:
        assert hidden not in page
    # Not a count either: one record, and the page speaks of one organisation.
    assert page.count("Held by ") == 1


def test_each_organisation_sees_its_own_record_and_what_is_shared_with_it(
    fife, staff, margaret_linked
):
    page = client_for(staff["nhs-fife"]).get(_url(margaret_linked.pk)).content.decode()

    assert "Peggy Haddow" in page
    for hidden in ("Margaret", "ASB-P-0042", "Fife Council", "POL-0909", "Police Scotland"):
        assert hidden not in page


def test_a_depersonalised_record_shows_its_pseudonym_only(fife, staff, margaret_linked):
    reader = _reader(staff["kingdom-ha"], fife)
    view = entity_single_view(reader=reader, entity_id=margaret_linked.pk, partnership=fife)
    assert view.level == Level.DEPERSONALISED

    page = client_for(staff["kingdom-ha"]).get(_url(margaret_linked.pk)).content.decode()

    assert "Depersonalised" in page
    for hidden in ("Margaret", "Haddow", "ASB-P-0042", "17 May 1948", *OTHERS):
        assert hidden not in page


def test_an_entity_with_no_visible_record_is_a_404_like_a_missing_id(fife, staff, three_records):
    nhs_only = linked(fife, three_records["nhs"])
    client = client_for(staff["sfrs-fife"])

    hidden = client.get(_url(nhs_only.pk))
    missing = client.get(_url(nhs_only.pk + 1000))

    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert (
        not entities_visible_to(reader=_reader(staff["sfrs-fife"], fife), kind=EntityKind.PERSON)
        .filter(pk=nhs_only.pk)
        .exists()
    )


def test_entities_visible_to_lists_an_entity_once_for_any_visible_record(
    fife, staff, margaret_linked
):
    for code in ("police-fife", "sfrs-fife", "nhs-fife", "kingdom-ha"):
        found = entities_visible_to(reader=_reader(staff[code], fife), kind=EntityKind.PERSON)
        assert list(found) == [margaret_linked]


def test_a_place_url_does_not_show_a_person(fife, staff, margaret_linked):
    response = client_for(staff["sfrs-fife"]).get(
        f"/partnerships/fife/places/entities/{margaret_linked.pk}/"
    )
    assert response.status_code == 404


def test_a_merged_entity_leads_to_the_one_it_was_merged_into(fife, staff, three_records):
    survivor = linked(fife, three_records["council"])
    merged = Entity.objects.create(partnership=fife, kind=EntityKind.PERSON, merged_into=survivor)

    response = client_for(staff["sfrs-fife"]).get(_url(merged.pk))

    assert response.status_code == 302
    assert response["Location"] == _url(survivor.pk)


def test_reading_another_organisations_record_is_audited(fife, staff, margaret_linked):
    from saferhub.audit.models import AuditEvent

    client_for(staff["sfrs-fife"]).get(_url(margaret_linked.pk))

    read = AuditEvent.objects.filter(action="read", record_type="person_record")
    assert list(read.values_list("record_id", flat=True)) == [
        margaret_linked.links.get(person_record__source_ref="ASB-P-0042").person_record_id
    ]


def test_the_record_page_links_to_the_linked_person(fife, staff, margaret_linked, three_records):
    council = three_records["council"]
    page = client_for(staff["sfrs-fife"]).get(f"/partnerships/fife/people/{council.pk}/")

    assert "See everything partners hold about this person" in page.content.decode()
    assert _url(margaret_linked.pk) in page.content.decode()


def test_a_record_in_no_entity_has_no_link(fife, staff):
    alone = held(staff["police-fife"], "POL-1", "Ann", "Orr")
    page = client_for(staff["police-fife"]).get(f"/partnerships/fife/people/{alone.pk}/")

    assert "See everything partners hold" not in page.content.decode()


def test_history_is_for_coordinators_and_names_only_visible_records(fife, margaret_linked):
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    page = client_for(coordinator).get(_url(margaret_linked.pk)).content.decode()

    # The entity's creation named all three records; the fire service sees it name one.
    history = page[page.index('id="history"') :]
    assert "Created" in history and "Margaret Haddow" in history
    for hidden in OTHERS:
        assert hidden not in page


def test_practitioners_see_no_history(fife, staff, margaret_linked):
    page = client_for(staff["sfrs-fife"]).get(_url(margaret_linked.pk)).content.decode()

    assert 'id="history"' not in page


def test_an_event_about_only_hidden_records_is_left_out(fife, three_records):
    from saferhub.linkage.services import entities_merge

    survivor = linked(fife, three_records["council"])
    entities_merge(survivor=survivor, merged=linked(fife, three_records["nhs"]), user=None)
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])

    page = client_for(coordinator).get(_url(survivor.pk)).content.decode()

    assert "Merged" not in page
