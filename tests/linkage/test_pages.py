"""The review queue, merging on the entity page and the thresholds page, as a browser without
JavaScript uses them."""

from saferhub.linkage.models import (
    CandidatePair,
    EntityKind,
    LinkageRun,
    LinkageThresholds,
    PairStatus,
    RecordLink,
)
from saferhub.people.models import PersonRecord
from tests.incidents.conftest import client_for
from tests.linkage import entities
from tests.linkage.entities import linked, member, pair_of

# The fixtures these tests use, from tests/linkage/entities.py.
margaret_linked, staff, three_records = (
    entities.margaret_linked,
    entities.staff,
    entities.three_records,
)

REVIEW = "/partnerships/fife/linkage/review/people/"
THRESHOLDS = "/partnerships/fife/linkage/thresholds/"
RUNS = "/partnerships/fife/linkage/runs/"


def test_the_review_page_shows_a_pair_side_by_side_with_its_evidence(fife, three_records):
    pair_of(fife, three_records["council"], three_records["police"], probability=0.83)
    reviewer = member(fife, "coord.police", "police-fife", ["coordinator"])

    page = client_for(reviewer).get(REVIEW).content.decode()

    assert "83.0% likely the same" in page
    assert "Margaret Haddow" in page and "Maggie Haddow" in page
    assert "ASB-P-0042" in page and "POL-0909" in page
    assert "Family name" in page and "+6.50" in page and "-3.25" in page
    assert "NHS-0777" not in page and "Peggy" not in page


def test_a_reviewer_who_may_not_see_both_records_sees_no_trace_of_the_pair(fife, three_records):
    pair = pair_of(fife, three_records["council"], three_records["nhs"])
    reviewer = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    client = client_for(reviewer)

    page = client.get(REVIEW).content.decode()
    posted = client.post(REVIEW, {"pair": pair.pk, "decision": "same"})

    assert "No pairs are waiting for you." in page
    assert "Margaret" not in page and "NHS" not in page
    assert posted.status_code == 404
    pair.refresh_from_db()
    assert pair.status == PairStatus.WAITING


def test_deciding_on_the_page_records_it_and_the_pair_is_gone(fife, three_records):
    pair = pair_of(fife, three_records["council"], three_records["police"])
    reviewer = member(fife, "analyst.police", "police-fife", ["analyst"])
    client = client_for(reviewer)

    response = client.post(REVIEW, {"pair": pair.pk, "decision": "different"})

    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PairStatus.DIFFERENT
    page = client.get(REVIEW).content.decode()
    assert "not be proposed again" in page
    assert "POL-0909" not in page


def test_practitioners_are_told_who_reviews(fife, staff):
    response = client_for(staff["police-fife"]).get(REVIEW)

    assert response.status_code == 403
    assert "coordinators and analysts" in response.content.decode()


def test_a_coordinator_merges_and_unmerges_on_the_entity_page(fife, three_records):
    survivor = linked(fife, three_records["council"])
    other = linked(fife, three_records["police"])
    coordinator = member(fife, "coord.police", "police-fife", ["coordinator"])
    client = client_for(coordinator)
    url = f"/partnerships/fife/people/entities/{survivor.pk}/"

    client.post(url + "merge/", {"other": other.pk})
    page = client.get(url).content.decode()

    assert RecordLink.objects.get(person_record=three_records["police"]).entity == survivor
    assert "POL-0909" in page and "Undo the last merge" in page
    client.post(url + "unmerge/")
    assert RecordLink.objects.get(person_record=three_records["police"]).entity == other


def test_a_merge_with_an_entity_the_coordinator_cannot_see_is_refused_as_missing(
    fife, three_records
):
    survivor = linked(fife, three_records["council"])
    hidden = linked(fife, three_records["nhs"])
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    url = f"/partnerships/fife/people/entities/{survivor.pk}/"

    response = client_for(coordinator).post(url + "merge/", {"other": hidden.pk}, follow=True)

    assert "no linked record with that number that you may see" in response.content.decode()
    assert hidden.links.count() == 1


def test_undo_is_not_offered_when_the_merge_moved_records_the_coordinator_cannot_see(
    fife, three_records
):
    from saferhub.linkage.services import entities_merge

    survivor = linked(fife, three_records["council"])
    entities_merge(survivor=survivor, merged=linked(fife, three_records["nhs"]), user=None)
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    url = f"/partnerships/fife/people/entities/{survivor.pk}/"
    client = client_for(coordinator)

    assert "Undo the last merge" not in client.get(url).content.decode()
    assert client.post(url + "unmerge/").status_code == 404


def test_a_coordinator_takes_a_record_out(fife, three_records, margaret_linked):
    coordinator = member(fife, "coord.police", "police-fife", ["coordinator"])
    link = margaret_linked.links.get(person_record=three_records["police"])

    response = client_for(coordinator).post(
        f"/partnerships/fife/people/entities/{margaret_linked.pk}/records/{link.pk}/take-out/"
    )

    link.refresh_from_db()
    assert link.entity != margaret_linked
    assert response["Location"] == f"/partnerships/fife/people/entities/{link.entity_id}/"


def test_the_thresholds_page_shows_what_each_choice_would_do(fife, three_records):
    pair_of(fife, three_records["council"], three_records["police"], probability=0.7)
    admin = member(fife, "admin.council", "fife-council-asb", ["admin"])

    page = client_for(admin).get(THRESHOLDS).content.decode()

    assert "Link by itself at or above" in page
    assert "too few to estimate precision and recall" in page
    assert "Current" in page


def test_precision_and_recall_are_estimated_from_enough_decisions(fife, three_records):
    council = three_records["council"]
    for index in range(20):
        CandidatePair.objects.create(
            partnership=fife,
            kind=EntityKind.PERSON,
            left_record_id=council.pk + 1000 + index,
            right_record_id=council.pk + 2000 + index,
            match_probability=0.99 if index < 10 else 0.5,
            match_weight=1,
            status=PairStatus.SAME if index < 10 else PairStatus.DIFFERENT,
        )
    admin = member(fife, "admin.council", "fife-council-asb", ["admin"])

    page = client_for(admin).get(THRESHOLDS).content.decode()

    assert "estimated from 20 decided pairs" in page
    assert "100.0%" in page


def test_thresholds_out_of_order_are_refused_with_a_message(fife):
    admin = member(fife, "admin.council", "fife-council-asb", ["admin"])

    response = client_for(admin).post(
        THRESHOLDS, {"kind": "person", "person-auto_link": "0.5", "person-review": "0.8"}
    )

    assert response.status_code == 422
    assert "cannot be above the auto-link threshold" in response.content.decode()
    assert not LinkageThresholds.objects.exists()


def test_thresholds_are_saved(fife):
    admin = member(fife, "admin.council", "fife-council-asb", ["admin"])

    response = client_for(admin).post(
        THRESHOLDS, {"kind": "place", "place-auto_link": "0.9", "place-review": "0.5"}
    )

    assert response.status_code == 302
    stored = LinkageThresholds.objects.get(kind=EntityKind.PLACE)
    assert (stored.auto_link, stored.review) == (0.9, 0.5)


def test_analysts_cannot_change_thresholds(fife):
    analyst = member(fife, "analyst.police", "police-fife", ["analyst"])

    assert client_for(analyst).get(THRESHOLDS).status_code == 403


def test_an_analyst_links_people_now_and_follows_the_run_to_its_counts(
    fife, three_records, django_capture_on_commit_callbacks
):
    analyst = member(fife, "analyst.police", "police-fife", ["analyst"])
    client = client_for(analyst)
    assert "Link people now" in client.get(RUNS).content.decode()

    # Tests run background tasks at once (TASKS_BACKEND=immediate), as the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RUNS.replace("runs/", "link-now/"), {"kind": "person"})
    run = LinkageRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{RUNS}{run.pk}/"

    page = client.get(response["Location"]).content.decode()
    run.refresh_from_db()
    assert run.status == LinkageRun.Status.FINISHED and run.started_by == analyst
    assert run.outcome["records"] == PersonRecord.objects.count()
    assert "Finished in" in page and "Records compared" in page
    assert 'hx-trigger="every 2s"' not in page  # polling stops once the run has ended
    assert f"Run {run.pk}" in client.get(RUNS).content.decode()


def test_a_running_run_polls_for_its_progress_and_shows_its_step(fife):
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    run = LinkageRun.objects.create(
        partnership=fife,
        kind=EntityKind.PLACE,
        status=LinkageRun.Status.RUNNING,
        step="Comparing pairs",
        steps_done=2,
        steps_total=5,
    )

    fragment = client_for(coordinator).get(f"{RUNS}{run.pk}/progress/").content.decode()

    assert 'hx-trigger="every 2s"' in fragment
    assert "Step 3 of 5: Comparing pairs" in fragment
    assert 'value="40"' in fragment


def test_a_failed_run_says_why_and_another_partnerships_run_is_not_found(fife):
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    run = LinkageRun.objects.create(
        partnership=fife,
        kind=EntityKind.PERSON,
        status=LinkageRun.Status.FAILED,
        message="The run stopped with an error, and nothing it did was kept: disk full",
    )
    client = client_for(coordinator)

    assert "disk full" in client.get(f"{RUNS}{run.pk}/").content.decode()
    assert client.get(f"{RUNS}{run.pk + 1}/").status_code == 404


def test_staff_without_a_linking_role_cannot_start_a_run(fife, staff):
    response = client_for(staff["police-fife"]).post(
        "/partnerships/fife/linkage/link-now/", {"kind": "person"}
    )

    assert response.status_code == 403
    assert not LinkageRun.objects.exists()


def test_a_coordinator_may_undo_a_merge_they_made(fife, three_records):
    survivor = linked(fife, three_records["council"])
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    from saferhub.linkage.services import entities_merge

    # (A merge by the page would need the other entity to be visible; the service allows any.)
    entities_merge(survivor=survivor, merged=linked(fife, three_records["nhs"]), user=coordinator)
    url = f"/partnerships/fife/people/entities/{survivor.pk}/"

    assert "Undo the last merge" in client_for(coordinator).get(url).content.decode()


def test_the_only_record_on_the_page_cannot_be_taken_out(fife, three_records, margaret_linked):
    coordinator = member(fife, "coord.fire", "sfrs-fife", ["coordinator"])
    link = margaret_linked.links.get(person_record=three_records["council"])

    response = client_for(coordinator).post(
        f"/partnerships/fife/people/entities/{margaret_linked.pk}/records/{link.pk}/take-out/"
    )

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.entity == margaret_linked
