"""Each reader's version of a briefing is built through the sharing engine."""

import datetime

from saferhub.actions.services import ActionInput
from saferhub.briefings.selectors import briefing_for_reader
from saferhub.briefings.services import briefing_task_add
from saferhub.incidents.services import PersonInput
from saferhub.partnerships.models import User
from saferhub.partnerships.themes import ThemeBook
from tests.briefings.conftest import hours_before_end, version_of
from tests.incidents.conftest import record


def _everything_shown(content) -> str:
    """Every word the version would show, to search for what must not be there."""
    return repr(
        (
            content.by_theme,
            content.by_area,
            content.incidents,
            content.repeat_places,
            content.repeat_people,
            content.vulnerable,
            content.new_referrals,
            content.overdue_referrals,
            content.actions_due,
            content.tasks,
        )
    )


def test_two_readers_see_two_versions(staff, briefing):
    police, housing = staff["police-fife"], staff["kingdom-ha"]
    at = hours_before_end(briefing, 2)
    shared = record(police, occurred_at=at, relevant_partners=["kingdom-ha"])
    own = record(police, occurred_at=at)

    police_version = version_of(police, briefing)
    housing_version = version_of(housing, briefing)

    assert {i["id"] for i in police_version.incidents} == {shared.pk, own.pk}
    assert all(i["access_level"] == "personal" for i in police_version.incidents)
    # Kingdom HA sees the incident it is named on, depersonalised, and not the other.
    assert [i["id"] for i in housing_version.incidents] == [shared.pk]
    seen = housing_version.incidents[0]
    assert seen["access_level"] == "depersonalised"
    text = _everything_shown(housing_version)
    for private in ("Margaret", "Haddow", "Kelso", "12 Hilltown", "KY1 1AA", "Loud music"):
        assert private not in text
    assert seen["where"] == "Data zone S01009876"


def test_a_partner_without_a_protocol_sees_nothing_of_anothers_records(staff, briefing):
    police, nhs = staff["police-fife"], staff["nhs-fife"]
    at = hours_before_end(briefing, 1)
    for _ in range(6):
        record(
            police,
            occurred_at=at,
            vulnerability_flags=["older_person"],
            address="3 Repeat Row",
        )
    briefing_task_add(
        user=User.objects.get(username="ali.khan"),
        briefing=briefing,
        data=ActionInput(
            title="Visit 3 Repeat Row",
            assignee_organisation="police-fife",
            due_on=briefing.for_date,
            themes=["asb"],
        ),
    )

    version = version_of(nhs, briefing)

    assert version.total == 0
    assert version.by_theme == [] and version.by_area == []
    assert version.incidents == [] and version.vulnerable == []
    assert version.repeat_places == []
    assert all(found == [] for found in version.repeat_people.values())
    assert version.tasks == [] and version.actions_due == []
    assert "Repeat Row" not in _everything_shown(version)
    # The police see all of it, and the task they were given.
    police_version = version_of(police, briefing)
    assert police_version.total == 6
    assert len(police_version.repeat_places) == 1
    assert [t.title for t in police_version.tasks] == ["Visit 3 Repeat Row"]


def test_aggregate_only_readers_get_counts_with_small_ones_suppressed(staff, briefing, fife):
    manager = User.objects.get(username="sam.boyd")  # a manager: figures, not people
    police = staff["police-fife"]
    at = hours_before_end(briefing, 3)
    for _ in range(3):
        record(police, occurred_at=at, themes=["home_safety"], category="fall")
    for _ in range(5):
        record(police, occurred_at=at, themes=["asb"])

    version = version_of(manager, briefing)

    assert version.incidents == []
    assert version.total == 8
    counts = {row.label: row.count for row in version.by_theme}
    assert counts == {"Antisocial behaviour": 5, "Home safety": None}
    assert [row.count for row in version.by_area] == [8]


def test_only_the_window_is_counted(staff, briefing):
    police = staff["police-fife"]
    inside = record(police, occurred_at=briefing.window_start)
    record(police, occurred_at=briefing.window_end)  # the end is the next briefing's
    record(police, occurred_at=briefing.window_start - datetime.timedelta(seconds=1))

    version = version_of(police, briefing)

    assert [i["id"] for i in version.incidents] == [inside.pk]


def test_people_with_vulnerability_flags_are_listed_as_the_reader_may_see_them(staff, briefing):
    police, council = staff["police-fife"], staff["fife-council-asb"]
    record(
        police,
        occurred_at=hours_before_end(briefing, 1),
        vulnerability_flags=["older_person", "lives_alone"],
        people=[PersonInput("victim", "Agnes", "Brodie", datetime.date(1940, 1, 2), "female")],
    )

    (row,) = version_of(council, briefing).vulnerable

    assert row["who"] == "Agnes Brodie"  # fife-isp shares asb at personal with the council
    assert row["flags"] == "Older person, Lives alone"
    assert row["age_band"] == "75 and over"


def _referral(briefing, sender, recipient, *, sent_hours_before_end, due_in_hours, status="sent"):
    from saferhub.referrals.models import Referral, ReferralType
    from saferhub.sharing.models import Protocol

    sent = hours_before_end(briefing, sent_hours_before_end)
    kind, _ = ReferralType.objects.get_or_create(
        partnership=briefing.partnership, code="visit", defaults={"name": "Home visit"}
    )
    return Referral.objects.create(
        partnership=briefing.partnership,
        owner=sender.organisation,
        recipient=recipient.organisation,
        created_by=sender,
        referral_type=kind,
        theme_mask=ThemeBook.of(briefing.partnership).mask_of(["asb"]),
        urgency="amber",
        reason="Margaret Haddow is frightened to go out",
        incident=record(sender, occurred_at=sent),
        lawful_basis="protocol",
        protocol=Protocol.objects.get(code="fife-isp"),
        status=status,
        sent_at=sent,
        due_at=sent + datetime.timedelta(hours=due_in_hours),
    )


def test_new_and_overdue_referrals_follow_the_sharing_rules(staff, briefing):
    police, council, nhs = staff["police-fife"], staff["fife-council-asb"], staff["nhs-fife"]
    new = _referral(briefing, police, council, sent_hours_before_end=3, due_in_hours=10**6)
    late = _referral(briefing, police, council, sent_hours_before_end=100, due_in_hours=4)
    _referral(
        briefing, police, council, sent_hours_before_end=100, due_in_hours=4, status="completed"
    )

    version = version_of(council, briefing)

    # Overdue is as of now (the new one is due long after); closed ones are never overdue.
    assert [r.id for r in version.new_referrals] == [new.pk]
    assert [r.id for r in version.overdue_referrals] == [late.pk]
    assert version.new_referrals[0].reason == "Margaret Haddow is frightened to go out"
    nhs_version = version_of(nhs, briefing)
    assert nhs_version.new_referrals == [] and nhs_version.overdue_referrals == []


def test_reading_writes_a_disclosure_for_each_other_organisations_record(staff, briefing):
    from saferhub.audit.models import AuditEvent
    from saferhub.briefings.selectors import briefing_reader
    from saferhub.briefings.services import briefing_reads_record

    police, council = staff["police-fife"], staff["fife-council-asb"]
    referral = _referral(briefing, police, staff["sfrs-fife"], sent_hours_before_end=2,
                         due_in_hours=72)  # fmt: skip
    reader = briefing_reader(council, briefing)
    content = briefing_for_reader(reader, briefing)

    written = briefing_reads_record(
        reader=reader,
        briefing=briefing,
        incidents=content.shown_incidents,
        referrals=content.shown_referrals,
        actions=content.shown_actions,
    )

    events = AuditEvent.objects.filter(action="briefing read")
    assert written == events.count() == 2
    assert {(e.record_type, e.record_id) for e in events} == {
        ("incident", referral.incident_id),
        ("referral", referral.pk),
    }
    assert all(e.purpose == "tasking" and e.protocol_code == "fife-isp" for e in events)
