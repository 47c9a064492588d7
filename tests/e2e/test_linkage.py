"""A coordinator opens everything partners hold about a person, then reviews a pair."""

import datetime

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.incidents.services import PersonInput
from saferhub.linkage.models import CandidatePair, Entity, LinkedBy, PairStatus, RecordLink
from saferhub.partnerships.models import Organisation, Partnership
from saferhub.people.models import PersonRecord
from tests.conftest import add_user
from tests.incidents.conftest import record

from .helpers import assert_accessible, expect_path, log_in

pytestmark = pytest.mark.browser

BORN = datetime.date(1948, 5, 17)


def _held(code: str, ref: str, given: str) -> PersonRecord:
    return PersonRecord.objects.create(
        organisation=Organisation.objects.get(code=code),
        source_ref=ref,
        given_name=given,
        family_name="Haddow",
        given_key=given.lower(),
        family_key="haddow",
        date_of_birth=BORN,
        date_of_birth_precision="day",
        sex="female",
    )


def test_a_coordinator_sees_a_linked_person_and_reviews_a_pair(page: Page, fife_live):
    fife = Partnership.objects.get(code="fife")
    council = add_user(
        "worker.council",
        partnership=fife,
        organisation=Organisation.objects.get(code="fife-council-asb"),
        roles=["practitioner"],
    )
    coordinator = add_user(
        "coord.police",
        partnership=fife,
        organisation=Organisation.objects.get(code="police-fife"),
        roles=["coordinator"],
        password="correct horse battery staple",
    )
    device = TOTPDevice.objects.create(user=coordinator, name="app", confirmed=True)
    # Given the council's Margaret, shared with the police, linked with the police's own
    # Maggie and with an NHS record the police may not see
    margaret = _held("fife-council-asb", "ASB-P-0042", "Margaret")
    record(
        council,
        fife,
        people=[PersonInput("victim", "Margaret", "Haddow", BORN, "female", margaret.pk)],
    )
    maggie = _held("police-fife", "POL-0909", "Maggie")
    peggy = _held("nhs-fife", "NHS-0777", "Peggy")
    entity = Entity.objects.create(partnership=fife, kind="person")
    for held, probability in ((margaret, 1.0), (maggie, 0.97), (peggy, 0.96)):
        RecordLink.objects.create(
            entity=entity,
            partnership=fife,
            person_record=held,
            match_probability=probability,
            linked_by=LinkedBy.BULK,
        )
    # and a second police record the hub is unsure about
    other = _held("police-fife", "POL-1111", "Meg")
    CandidatePair.objects.create(
        partnership=fife,
        kind="person",
        left_record_id=min(margaret.pk, other.pk),
        right_record_id=max(margaret.pk, other.pk),
        match_probability=0.74,
        match_weight=1.5,
        evidence=[
            {"comparison": "Family name", "level": "exact", "match_weight": 6.5},
            {"comparison": "Given name", "level": "different", "match_weight": -4.0},
        ],
    )
    log_in(page, "coord.police", device)

    # When they open the police's record and follow the link to the linked person
    page.goto(f"/partnerships/fife/people/{maggie.pk}/")
    page.get_by_role("link", name="See everything partners hold about this person").click()
    page.wait_for_load_state()

    # Then they see the council's and their own records, and nothing of the NHS record
    expect_path(page, f"/partnerships/fife/people/entities/{entity.pk}/")
    expect(
        page.get_by_role("heading", name="Held by Fife Council, Safer Communities")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="Held by Police Scotland, Fife Division")
    ).to_be_visible()
    expect(page.get_by_text("NHS")).to_have_count(0)
    expect(page.get_by_text("Peggy")).to_have_count(0)
    assert_accessible(page)

    # When they review the waiting pair and say the two are the same
    page.goto("/partnerships/fife/linkage/review/people/")
    expect(page.get_by_role("heading", name="Pair 1: 74.0% likely the same")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="The same (pair 1)", exact=True).click()
    page.wait_for_load_state()

    # Then the pair is decided and gone from the queue
    expect(page.get_by_text("No pairs are waiting for you.")).to_be_visible()
    assert CandidatePair.objects.get().status == PairStatus.SAME
    assert RecordLink.objects.get(person_record=other).entity == entity

    # And the thresholds page explains what each choice would do
    page.goto("/partnerships/fife/linkage/thresholds/")
    expect(page.get_by_text("too few to estimate precision and recall").first).to_be_visible()
    assert_accessible(page)

    # And they link everyone now, and follow the run to its counts
    page.goto("/partnerships/fife/linkage/runs/")
    assert_accessible(page)
    page.get_by_role("button", name="Link people now").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Linking people")).to_be_visible()
    expect(page.get_by_text("Finished in")).to_be_visible()
    expect(page.locator("#run-counts")).to_contain_text("Records compared")
    assert_accessible(page)
