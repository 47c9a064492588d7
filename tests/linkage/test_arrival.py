"""Linking a record as it arrives: scored in Python from the model's parameters, the same as
Splink's scores, and linked, queued or left new by the partnership's thresholds."""

import datetime
import math
import statistics
import time
from types import SimpleNamespace

import pytest

from saferhub.imports.profiles import profiles_apply
from saferhub.incidents.vocabulary import Sex
from saferhub.linkage import linking
from saferhub.linkage.linking import (
    CandidateScoring,
    Scorer,
    _arrival_context,
    _person_candidates,
    _scored_people,
    link_bulk,
    record_link_on_arrival,
    scores_of_pairs,
)
from saferhub.linkage.models import (
    CandidatePair,
    EntityKind,
    LinkageThresholds,
    LinkedBy,
    PairStatus,
    RecordLink,
)
from saferhub.linkage.preparation import (
    member_organisation_ids,
    partnership_rows,
    rows_of,
    rows_table,
)
from saferhub.linkage.training import linkage_model_train, splink_linker
from saferhub.partnerships.models import Organisation
from saferhub.people.models import DatePrecision, PersonAddress, PersonRecord
from saferhub.people.services import person_record_create
from saferhub.places.services import place_record_create
from tests.imports.conftest import PROFILES, run_import, write_csv
from tests.linkage.conftest import person_record

BORN = datetime.date(1984, 3, 12)


@pytest.fixture
def trained(people, fife):
    """The small population linked in bulk, with its model."""
    link_bulk(partnership=fife, kind=EntityKind.PERSON)
    return people


def _tricky_records(fife) -> list:
    """Records that exercise every level: partial dates, swapped names, familiar names, other
    names, missing values."""
    police = Organisation.objects.get(code="police-fife")
    nhs = Organisation.objects.get(code="nhs-fife")
    made = [
        person_record(
            nhs,
            "T1",
            given="Robert",
            family="Doig",
            born=BORN,
            sex=Sex.MALE,
            chi="1203841234",
            address="4 Kirk Wynd",
            postcode="KY1 1AA",
        ),
        person_record(
            police,
            "T2",
            given="Rab",
            family="Doig",
            born=BORN,
            sex=Sex.MALE,
            address="4 Kirk Wynd",
            postcode="KY1 1AA",
        ),
        person_record(
            police, "T3", given="Doig", family="Robert", born=BORN, precision=DatePrecision.YEAR
        ),
        person_record(
            police,
            "T4",
            given="Robert",
            family="Doig",
            born=datetime.date(1984, 12, 3),
            precision=DatePrecision.MONTH,
        ),
        person_record(
            police,
            "T5",
            given="Robert",
            family="Doig",
            born=datetime.date(1984, 12, 3),
            address="4 Kirk Wynd Kirkcaldy",
            postcode="KY1 2BB",
        ),
        person_record(police, "T6", family="Doig"),
        person_record(
            police,
            "T7",
            given="Roberta",
            family="Smith",
            other_names=("Doig",),
            born=datetime.date(1985, 3, 12),
            sex=Sex.FEMALE,
            chi="1203851239",
        ),
        person_record(police, "T8", given="Bobby", family="Doyg", born=BORN),
    ]
    moved = person_record(police, "T9", given="Robert", family="Doig", born=BORN)
    PersonAddress.objects.create(
        person=moved,
        address="9 Bank Street",
        postcode="KY7 4GH",
        lived_from=datetime.date(2020, 1, 1),
    )
    PersonAddress.objects.create(
        person=moved,
        address="4 Kirk Wynd",
        postcode="KY1 1AA",
        lived_from=datetime.date(2010, 1, 1),
    )
    return [*made, moved]


def test_python_scores_equal_splinks_for_the_same_pairs(trained, fife):
    tricky = _tricky_records(fife)
    model = linkage_model_train(partnership=fife, kind=EntityKind.PERSON)
    rows = partnership_rows(partnership=fife, kind=EntityKind.PERSON)
    sample = rows_of(EntityKind.PERSON, tricky) + rows[:: max(len(rows) // 20, 1)]
    linker, database = splink_linker(
        rows_table(EntityKind.PERSON, rows), model.settings, model.trained_on["term_frequencies"]
    )
    left = database.register(rows_table(EntityKind.PERSON, sample), table_name="left_rows")
    right = database.register(rows_table(EntityKind.PERSON, sample), table_name="right_rows")
    splink_scores = {
        (row["unique_id_l"], row["unique_id_r"]): row
        for row in linker.inference.score_pairs(left, right).as_record_list()
    }
    by_id = {row["unique_id"]: row for row in sample}
    pairs = [(by_id[a], by_id[b]) for a, b in splink_scores]
    ours = scores_of_pairs(model, [a for a, _ in pairs], [b for _, b in pairs])
    assert len(ours) > 300
    for score in ours:
        theirs = splink_scores[(score.left_id, score.right_id)]
        assert math.isclose(score.match_weight, theirs["match_weight"], abs_tol=1e-9)
        assert math.isclose(score.match_probability, theirs["match_probability"], abs_tol=1e-9)
    # The tricky pairs really reached the levels they were made for.
    levels = {e.level for score in ours for e in score.evidence}
    for level in (
        "Same name, one a familiar form (Rab, Robert)",
        "Given and family names swapped",
        "Same month and year (day not known on one side)",
        "Same year (month not known on one side)",
        "Day and month swapped",
        "Family name among the other's other names",
        "Family names nearly the same",
        "Same CHI number",
        "Lived at the same postcode",
        "Date of birth missing",
    ):
        assert level in levels, level


def test_scoring_candidates_together_gives_the_per_pair_scores(trained, fife):
    """An arriving row's levels are worked out once per distinct set of candidate values
    (CandidateScoring): the scores are Scorer.score's, to the bit, level for level."""
    tricky = _tricky_records(fife)
    model = linkage_model_train(partnership=fife, kind=EntityKind.PERSON)
    scorer = Scorer(model)
    rows = rows_of(EntityKind.PERSON, tricky) + partnership_rows(
        partnership=fife, kind=EntityKind.PERSON
    )
    pairs, levels = 0, set()
    for left in rows[:: max(len(rows) // 40, 1)]:
        scoring = CandidateScoring(scorer, left)
        for right in rows:
            together, alone = scoring.score(right), scorer.score(left, right)
            assert together == alone
            pairs += 1
            levels.update(e.level for e in together.evidence)
    assert pairs > 2000
    for level in ("Same given name", "Day and month swapped", "Same address", "Lives elsewhere"):
        assert level in levels, level


@pytest.mark.parametrize("review", [0.6, 0.01, 1e-9])
def test_candidates_left_unscored_could_not_reach_the_review_threshold(trained, fife, review):
    """An arriving person's candidates are scored in full only when their weight without
    where they live could reach the review threshold's: every candidate left out scores below
    it when scored in full, and those kept score as they would alone."""
    tricky = _tricky_records(fife)
    model = linkage_model_train(partnership=fife, kind=EntityKind.PERSON)
    scorer = Scorer(model)
    organisations = member_organisation_ids(fife)
    records = tricky + list(PersonRecord.objects.order_by("pk")[::7])
    left_out = 0
    for record in records:
        (row,) = rows_of(EntityKind.PERSON, [record])
        candidates = _person_candidates(row, organisations, record.pk)
        everyone = {
            score.right_id: score
            for score in (
                scorer.score(row, other)
                for other in rows_of("person", [SimpleNamespace(**c) for c in candidates])
            )
        }
        kept = _scored_people(CandidateScoring(scorer, row), candidates, review)
        for score in kept:
            assert score == everyone[score.right_id]
        kept_ids = {score.right_id for score in kept}
        reaching = {i for i, score in everyone.items() if score.match_probability >= review}
        assert reaching <= kept_ids
        left_out += len(everyone) - len(kept_ids)
    # The bound did leave candidates out (at the lowest threshold, few or none).
    if review >= 0.01:
        assert left_out > 0


def test_an_arrivals_own_query_reads_what_the_orm_would(trained, fife):
    """The arrival's context and candidates are written as SQL: the same organisations,
    thresholds and addresses (the current first) as the ORM gives."""
    tricky = _tricky_records(fife)
    moved = tricky[-1]
    LinkageThresholds.objects.create(
        partnership=fife, kind=EntityKind.PERSON, auto_link=0.99, review=0.3
    )
    context = _arrival_context(fife, EntityKind.PERSON, moved)
    assert context.organisation_ids == member_organisation_ids(fife)
    assert (context.thresholds.auto_link, context.thresholds.review) == (0.99, 0.3)
    assert context.link is None and context.model is not None
    assert context.addresses == [("9 Bank Street", "KY7 4GH"), ("4 Kirk Wynd", "KY1 1AA")]
    (row,) = rows_of(EntityKind.PERSON, [moved])
    candidates = _person_candidates(row, context.organisation_ids, moved.pk)
    assert len(candidates) > 5
    for candidate in candidates:
        addresses = PersonAddress.objects.filter(person_id=candidate["pk"])
        assert candidate["addresses"] == list(addresses.values_list("address", "postcode"))
        record = PersonRecord.objects.get(pk=candidate["pk"])
        assert candidate["date_of_birth"] == record.date_of_birth
    assert [c["pk"] for c in candidates] == sorted((c["pk"] for c in candidates), reverse=True)


def test_a_cut_short_list_of_candidates_holds_only_whole_records(trained, fife, monkeypatch):
    """Candidates come a row per address; when the rows run out, the last record (whose
    addresses may not all be there) is left out rather than scored on some of them."""
    moved = _tricky_records(fife)[-1]
    (row,) = rows_of(EntityKind.PERSON, [moved])
    organisations = member_organisation_ids(fife)
    everyone = _person_candidates(row, organisations, moved.pk)
    rows = sum(max(len(c["addresses"]), 1) for c in everyone[:3])
    monkeypatch.setattr(linking, "MAX_CANDIDATE_ROWS", rows + 1)
    cut = _person_candidates(row, organisations, moved.pk)
    assert len(everyone) > 4
    # Three whole records and the first row of a fourth, which is left out.
    assert [c["pk"] for c in cut] == [c["pk"] for c in everyone[:3]]
    assert all(c["addresses"] == e["addresses"] for c, e in zip(cut, everyone, strict=False))
    monkeypatch.setattr(linking, "MAX_CANDIDATES", 2)
    assert len(_person_candidates(row, organisations, moved.pk)) == 2


def test_a_new_record_joins_the_entity_of_the_same_person(trained, fife):
    nhs_record = (
        RecordLink.objects.filter(
            person_record__organisation__code="nhs-fife", person_record__chi_number__gt=""
        )
        .select_related("person_record")
        .first()
    )
    known = nhs_record.person_record
    police = Organisation.objects.get(code="police-fife")
    arriving = person_record(
        police,
        "NEW-1",
        given=known.given_name,
        family=known.family_name,
        born=known.date_of_birth,
        sex=known.sex,
        address=known.addresses.first().address,
        postcode=known.addresses.first().postcode,
    )
    outcome = record_link_on_arrival(partnership=fife, kind=EntityKind.PERSON, record=arriving)
    assert outcome.outcome == "linked"
    assert outcome.entity_id == nhs_record.entity_id
    link = RecordLink.objects.get(person_record=arriving)
    assert link.linked_by == LinkedBy.ARRIVAL
    assert link.match_probability == pytest.approx(outcome.match_probability)


def test_a_stranger_is_a_new_entity(trained, fife):
    police = Organisation.objects.get(code="police-fife")
    stranger = person_record(
        police, "NEW-2", given="Zebedee", family="Quartermain", born=datetime.date(1931, 7, 7)
    )
    outcome = record_link_on_arrival(partnership=fife, kind=EntityKind.PERSON, record=stranger)
    assert outcome.outcome == "new"
    assert RecordLink.objects.get(person_record=stranger).linked_by == LinkedBy.FIRST


def test_a_doubtful_match_waits_for_review_and_is_not_asked_twice(trained, fife):
    link = RecordLink.objects.filter(person_record__organisation__code="nhs-fife").first()
    known = link.person_record
    police = Organisation.objects.get(code="police-fife")
    # Same name and year of birth, nothing else: somewhere between the thresholds.
    LinkageThresholds.objects.create(
        partnership=fife, kind=EntityKind.PERSON, auto_link=0.999999, review=0.0001
    )
    doubtful = person_record(
        police,
        "NEW-3",
        given=known.given_name,
        family=known.family_name,
        born=known.date_of_birth,
        precision=DatePrecision.YEAR,
    )
    outcome = record_link_on_arrival(partnership=fife, kind=EntityKind.PERSON, record=doubtful)
    assert outcome.outcome == "review"
    pair = CandidatePair.objects.get(
        left_record_id=known.pk, right_record_id=doubtful.pk, status=PairStatus.WAITING
    )
    assert {"comparison", "level", "match_weight"} <= set(pair.evidence[0])
    assert RecordLink.objects.get(person_record=doubtful).entity_id != link.entity_id


def test_with_no_model_a_record_is_its_own_entity(fife):
    police = Organisation.objects.get(code="police-fife")
    record = person_record(police, "FIRST", given="Ann", family="Kerr")
    outcome = record_link_on_arrival(partnership=fife, kind=EntityKind.PERSON, record=record)
    assert outcome.outcome == "new"
    assert RecordLink.objects.get(person_record=record).match_probability == 1.0


def test_arrival_is_fast_against_a_linked_set(trained, fife):
    police = Organisation.objects.get(code="police-fife")
    known = list(RecordLink.objects.select_related("person_record")[:20])
    timings = []
    for number, link in enumerate(known):
        record = person_record(
            police,
            f"FAST-{number}",
            given=link.person_record.given_name,
            family=link.person_record.family_name,
            born=link.person_record.date_of_birth,
        )
        started = time.perf_counter()
        record_link_on_arrival(partnership=fife, kind=EntityKind.PERSON, record=record)
        timings.append(time.perf_counter() - started)
    # Generous on a shared test machine; bench/ measures against a large set.
    assert statistics.quantiles(timings, n=20)[18] < 0.25


def test_a_person_recorded_through_the_service_is_linked_at_once(trained, fife):
    known = PersonRecord.objects.filter(organisation__code="nhs-fife").first()
    address = known.addresses.first()
    police = Organisation.objects.get(code="police-fife")
    record = person_record_create(
        user=None,
        organisation=police,
        data={
            "source_ref": "WEB-1",
            "given_name": known.given_name,
            "family_name": known.family_name,
            "date_of_birth": known.date_of_birth,
            "sex": known.sex,
            "addresses": [{"address": address.address, "postcode": address.postcode}],
        },
    )
    link = RecordLink.objects.get(person_record=record)
    assert link.entity_id == RecordLink.objects.get(person_record=known).entity_id


def test_a_place_recorded_through_the_service_is_its_own_place_until_a_model(fife):
    council = Organisation.objects.get(code="fife-council-asb")
    place = place_record_create(
        user=None, organisation=council, data={"source_ref": "PL-1", "uprn": "320000001"}
    )
    assert RecordLink.objects.get(place_record=place).linked_by == LinkedBy.FIRST


def test_a_linkage_failure_never_loses_the_record(fife, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("the model is unreadable")

    monkeypatch.setattr("saferhub.linkage.linking.record_link_on_arrival", broken)
    police = Organisation.objects.get(code="police-fife")
    record = person_record_create(
        user=None, organisation=police, data={"source_ref": "WEB-2", "family_name": "Kerr"}
    )
    assert PersonRecord.objects.filter(pk=record.pk).exists()
    assert not RecordLink.objects.filter(person_record=record).exists()
    assert "the next bulk run links it" in caplog.text


def test_an_import_links_its_new_records_unless_there_are_too_many(fife, tmp_path, monkeypatch):
    profiles = {p.name: p for p in profiles_apply(text=PROFILES.read_text(), source=str(PROFILES))}
    rows = [
        {
            "Patient ID": f"N{number}",
            "Forename": "Morag",
            "Surname": f"MacLeod{'x' * number}",
            "Aliases": "",
            "DOB": "12/03/1984",
            "Sex": "F",
            "CHI": "",
            "Phone": "",
            "Email": "",
            "Address": "3 Shore Road",
            "Postcode": "ky1 1aa",
            "Moved In": "01/04/2019",
            "Moved Out": "",
        }
        for number in range(3)
    ]
    run = run_import(write_csv(tmp_path / "people.csv", rows), profiles["nhs-people"])
    assert run.rows_inserted == 3
    assert RecordLink.objects.filter(person_record__isnull=False).count() == 3
    monkeypatch.setattr("saferhub.imports.services.LINK_ON_ARRIVAL_LIMIT", 1)
    rows = [{**row, "Patient ID": f"M{number}"} for number, row in enumerate(rows)]
    run = run_import(write_csv(tmp_path / "more.csv", rows), profiles["nhs-people"])
    assert "will be linked to the partnership's entities by the next linking run" in run.message
    assert RecordLink.objects.filter(person_record__isnull=False).count() == 3
