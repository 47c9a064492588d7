"""The meeting pack: the agenda as one organisation may see it, and its audit trail.

Each item about a record is decided afresh for the organisation, by that record's own sharing
rules (the access function of its app), for the tasking purpose: at `personal` it is shown in
full, at `depersonalised` as pseudonym, age band and data zone with no free text, and at
`aggregate` or `none` it is left out altogether (the pack is numbered without gaps, so
nothing hints that an item is missing). The level is the lower of the level on the meeting
day and the level today: a protocol that has since been suspended no longer opens old packs.
"""

import dataclasses
import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from saferhub.actions.models import Action, ActionStatus
from saferhub.actions.selectors import action_access, actions_at_least
from saferhub.audit.services import Disclosure, audit_record, disclosure_under
from saferhub.cases.models import Case, CaseSubject, Rag, Stage
from saferhub.cases.selectors import case_access
from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import access_of, incidents_at_least, with_details
from saferhub.incidents.vocabulary import Category, PersonRole, Risk, Sex
from saferhub.meetings.models import AgendaItem, ItemKind, Meeting
from saferhub.partnerships.models import Organisation, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonRecord
from saferhub.people.selectors import person_record_access
from saferhub.places.models import PlaceRecord
from saferhub.places.selectors import place_record_access
from saferhub.referrals.models import Referral, ReferralStatus, Urgency
from saferhub.referrals.selectors import referral_access
from saferhub.sharing.engine import NO_ACCESS, Access, Reader
from saferhub.sharing.models import Level, Purpose
from saferhub.sharing.pseudonyms import age_band, pseudonym, subject_key
from saferhub.sharing.redaction import incident_as_seen, incident_subject_keys
from saferhub.sharing.selectors import reader_for_organisation

SHOWN = (Level.PERSONAL, Level.DEPERSONALISED)
LEVEL_WORDS = {Level.PERSONAL: "In full", Level.DEPERSONALISED: "Depersonalised"}


@dataclass
class PackItem:
    """One item as one organisation sees it."""

    number: int
    item_id: int
    kind: str
    kind_label: str
    proposed: bool
    heading: str
    # "personal" or "depersonalised" for an item about a record; "" for one added by hand.
    level: str = ""
    level_words: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    discussion: str = ""
    decision: str = ""
    disclosure: Disclosure | None = None


@dataclass
class Pack:
    meeting: Meeting
    organisation: Organisation
    items: list[PackItem]
    # Actions agreed at this meeting that the organisation may see, each at its own level.
    actions: list[PackItem]
    # Items added by hand (their ids), which disclose no record but are part of the pack.
    other_business: list[int]

    @property
    def disclosures(self) -> list[Disclosure]:
        return [i.disclosure for i in self.items + self.actions if i.disclosure is not None]


class _Readers:
    """The organisation as a reader on the meeting day and today; an item is shown at the
    lower of the two levels."""

    def __init__(self, meeting: Meeting, organisation: Organisation, shows_people: bool):
        today = timezone.localdate()
        day = timezone.localdate(meeting.starts_at)
        self.readers = [
            reader_for_organisation(
                organisation=organisation,
                partnership=meeting.partnership,
                purpose=Purpose.TASKING,
                day=d,
            )
            for d in dict.fromkeys([day, today])
        ]
        if not shows_people:
            # Someone whose roles work with figures sees no record in a list, so in no pack.
            self.readers = [
                dataclasses.replace(r, personal_partnerships=frozenset()) for r in self.readers
            ]

    @property
    def first(self) -> Reader:
        return self.readers[0]

    def lowest(self, decide) -> Access:
        lowest = None
        for reader in self.readers:
            access = decide(reader)
            if lowest is None or access.rank < lowest.rank:
                lowest = access
        return lowest or NO_ACCESS


def _label(choices, value: str) -> str:
    return dict(choices.choices).get(value, value.replace("_", " ").capitalize() if value else "")


def _day(value: datetime.datetime | datetime.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return f"{value.day} {value:%B %Y}"


def _disclosure(
    *,
    record_type: str,
    record_id: int,
    meeting: Meeting,
    owner: Organisation,
    access: Access,
    subjects: tuple[str, ...] = (),
) -> Disclosure:
    return disclosure_under(
        access,
        record_type=record_type,
        record_id=record_id,
        partnership_code=meeting.partnership.code,
        owner_code=owner.code,
        subjects=subjects,
    )


def _person_key(partnership_code: str, record: PersonRecord) -> str:
    return subject_key(
        partnership_code=partnership_code,
        given_name=record.given_name,
        family_name=record.family_name,
        date_of_birth=record.date_of_birth,
    )


class _Builder:
    """Turns agenda items into pack items for one organisation, fetching each kind of
    record in one query."""

    def __init__(self, meeting: Meeting, organisation: Organisation, readers: _Readers):
        self.meeting = meeting
        self.organisation = organisation
        self.readers = readers
        self.book = ThemeBook.of(meeting.partnership_id)
        self.records: dict[str, dict[int, object]] = {}

    def themes(self, mask: int) -> str:
        return ", ".join(sorted(t.name for t in self.book.themes_in(mask)))

    def load(self, items: list[AgendaItem]) -> None:
        wanted: dict[str, set[int]] = {}
        for item in items:
            if item.record_id is not None:
                wanted.setdefault(item.record_type, set()).add(item.record_id)
        fetch = {
            "incident": lambda ids: with_details(
                Incident.objects.filter(pk__in=ids).select_related("partnership", "owner")
            ),
            "case": lambda ids: (
                Case.objects.filter(pk__in=ids)
                .select_related("owner", "person_record", "place_record")
                .prefetch_related("relevant_partners")
            ),
            "referral": lambda ids: (
                Referral.objects.filter(pk__in=ids)
                .select_related("owner", "recipient", "referral_type")
                .prefetch_related("relevant_partners")
            ),
            "action": lambda ids: _actions(Action.objects.filter(pk__in=ids)),
            "person_record": lambda ids: PersonRecord.objects.filter(pk__in=ids).select_related(
                "organisation"
            ),
            "place_record": lambda ids: PlaceRecord.objects.filter(pk__in=ids).select_related(
                "organisation"
            ),
        }
        for record_type, ids in wanted.items():
            if record_type in fetch:
                self.records[record_type] = {r.pk: r for r in fetch[record_type](ids)}

    def item(self, item: AgendaItem) -> PackItem | None:
        """The item as the organisation sees it, or None when it is not theirs to see."""
        base = PackItem(
            number=0,
            item_id=item.pk,
            kind=item.kind,
            kind_label=ItemKind(item.kind).label,
            proposed=item.proposed,
            heading=item.title,
        )
        if item.record_id is None:
            return self._by_hand(item, base)
        record = self.records.get(item.record_type, {}).get(item.record_id)
        if record is None:
            return None  # deleted since, or a kind of record the pack does not know
        shown = getattr(self, f"_{item.record_type}")(record, base)
        if shown is None:
            return None
        if shown.level == Level.PERSONAL:
            shown.discussion, shown.decision = item.discussion, item.decision
        shown.level_words = LEVEL_WORDS[shown.level]
        return shown

    def _by_hand(self, item: AgendaItem, base: PackItem) -> PackItem | None:
        audience = {o.pk for o in item.audience.all()}
        organisation_id = self.organisation.pk
        if organisation_id != self.meeting.organiser_id:
            if audience and organisation_id not in audience:
                return None
            if not audience and organisation_id not in self.invited:
                return None
        base.text, base.discussion, base.decision = item.summary, item.discussion, item.decision
        return base

    @property
    def invited(self) -> set[int]:
        if not hasattr(self, "_invited"):
            self._invited = {i.organisation_id for i in self.meeting.invitations.all()}
        return self._invited

    def _shown(self, access: Access) -> bool:
        return access.level in SHOWN

    def _disclose(self, base: PackItem, record_type, record, owner, access, subjects=()):
        base.level = access.level
        if owner.pk != self.organisation.pk:
            base.disclosure = _disclosure(
                record_type=record_type,
                record_id=record.pk,
                meeting=self.meeting,
                owner=owner,
                access=access,
                subjects=subjects,
            )
        return base

    def _incident(self, incident: Incident, base: PackItem) -> PackItem | None:
        access = self.readers.lowest(lambda r: access_of(r, incident))
        if not self._shown(access):
            return None
        seen = incident_as_seen(incident, access)
        personal = access.level == Level.PERSONAL
        base.heading = f"{_label(Category, incident.category)} on {_day(incident.occurred_at)}"
        place = seen["place"] or {}
        where = (
            ", ".join(p for p in (place.get("address"), place.get("postcode")) if p)
            if personal
            else ""
        ) or (f"Data zone {place['data_zone']}" if place.get("data_zone") else "Not recorded")
        base.facts = [
            ("Recorded by", incident.owner.name),
            ("Themes", self.themes(incident.theme_mask)),
            ("Risk", _label(Risk, incident.risk)),
            ("Place", where),
        ]
        for person in seen["people"]:
            who = (
                f"{person['given_name']} {person['family_name']}".strip() or person["pseudonym"]
                if personal
                else person["pseudonym"]
            )
            detail = f"age {person['age_band']}, {_label(Sex, person['sex']).lower()}"
            base.people.append((_label(PersonRole, person["role"]), f"{who} ({detail})"))
        base.text = seen.get("narrative", "") if personal else ""
        return self._disclose(
            base, "incident", incident, incident.owner, access, incident_subject_keys(incident)
        )

    def _case(self, case: Case, base: PackItem) -> PackItem | None:
        access = self.readers.lowest(lambda r: case_access(r, case))
        if not self._shown(access):
            return None
        personal = access.level == Level.PERSONAL
        subject = _label(CaseSubject, case.subject)
        base.heading = case.title if personal else f"Case about {subject.lower()}"
        base.facts = [
            ("Led by", case.owner.name),
            ("Stage", _label(Stage, case.stage)),
            ("Risk rating", _label(Rag, case.rag) or "Not assessed"),
            ("Themes", self.themes(case.theme_mask)),
            ("Opened", _day(case.opened_at)),
        ]
        if case.data_zone:
            base.facts.append(("Data zone", case.data_zone))
        subjects: tuple[str, ...] = ()
        if case.person_record is not None:
            key = _person_key(self.meeting.partnership.code, case.person_record)
            subjects = (key,)
            base.people.append(("Subject", self._person_words(case.person_record, personal)))
        if personal:
            base.text = case.response_plan or case.scanning_notes
        return self._disclose(base, "case", case, case.owner, access, subjects)

    def _referral(self, referral: Referral, base: PackItem) -> PackItem | None:
        access = self.readers.lowest(lambda r: referral_access(r, referral))
        if not self._shown(access):
            return None
        urgency = _label(Urgency, referral.urgency)
        base.heading = f"{urgency} referral: {referral.referral_type.name}"
        base.facts = [
            ("From", referral.owner.name),
            ("To", referral.recipient.name),
            ("Status", _label(ReferralStatus, referral.status)),
            ("Sent", _day(referral.sent_at)),
            ("Themes", self.themes(referral.theme_mask)),
        ]
        if access.level == Level.PERSONAL:
            base.text = referral.reason
        return self._disclose(base, "referral", referral, referral.owner, access)

    def _action(self, action: Action, base: PackItem) -> PackItem | None:
        access = self.readers.lowest(lambda r: action_access(r, action))
        if not self._shown(access):
            return None
        personal = access.level == Level.PERSONAL
        given_to = action.assignee_organisation.name
        base.heading = action.title if personal else f"An action for {given_to}"
        status = _label(ActionStatus, action.status)
        if action.is_open and action.due_on < timezone.localdate():
            status += " (overdue)"
        base.facts = [
            ("Set by", action.owner.name),
            ("Given to", given_to),
            ("Due", _day(action.due_on)),
            ("Status", status),
            ("Themes", self.themes(action.theme_mask)),
        ]
        if personal:
            base.text = action.completion_note or action.detail
        return self._disclose(base, "action", action, action.owner, access)

    def _person_words(self, record: PersonRecord, personal: bool) -> str:
        on = timezone.localdate(self.meeting.starts_at)
        band = age_band(record.date_of_birth, on)
        sex = _label(Sex, record.sex).lower()
        if personal:
            name = f"{record.given_name} {record.family_name}".strip() or "No name recorded"
            born = f"born {_day(record.date_of_birth)}" if record.date_of_birth else "age unknown"
            return f"{name}, {born}, {sex}"
        key = _person_key(self.meeting.partnership.code, record)
        return f"{pseudonym(key)} (age {band}, {sex})"

    def _in_period(self, **lookup) -> int:
        return (
            incidents_at_least(self.readers.first, Level.DEPERSONALISED)
            .filter(
                partnership_id=self.meeting.partnership_id,
                occurred_at__date__gte=self.meeting.period_from,
                occurred_at__date__lte=self.meeting.period_to,
                **lookup,
            )
            .distinct()
            .count()
        )

    def _person_record(self, record: PersonRecord, base: PackItem) -> PackItem | None:
        access = self.readers.lowest(lambda r: person_record_access(r, record)[0])
        if not self._shown(access):
            return None
        personal = access.level == Level.PERSONAL
        base.heading = "A person harmed more than once"
        base.people = [("Victim", self._person_words(record, personal))]
        count = self._in_period(people__person_record=record, people__role="victim")
        base.facts = [
            ("Record held by", record.organisation.name),
            ("Incidents in the period that you may see", str(count)),
        ]
        subjects = (_person_key(self.meeting.partnership.code, record),)
        return self._disclose(base, "person_record", record, record.organisation, access, subjects)

    def _place_record(self, record: PlaceRecord, base: PackItem) -> PackItem | None:
        access = self.readers.lowest(lambda r: place_record_access(r, record)[0])
        if not self._shown(access):
            return None
        personal = access.level == Level.PERSONAL
        where = (
            record.address
            if personal and record.address
            else (f"data zone {record.data_zone}" if record.data_zone else "an unresolved place")
        )
        base.heading = f"Repeat location: {where}"
        count = self._in_period(place_record=record)
        base.facts = [
            ("Record held by", record.organisation.name),
            ("Incidents in the period that you may see", str(count)),
        ]
        return self._disclose(base, "place_record", record, record.organisation, access)


def _actions(queryset):
    return queryset.select_related("owner", "assignee_organisation").prefetch_related(
        "relevant_partners"
    )


def pack_for_organisation(
    meeting: Meeting, organisation: Organisation, *, shows_people: bool = True
) -> Pack:
    """The meeting's pack as `organisation` may see it (tasking purpose, on the meeting day
    and today). `shows_people=False` for a reader whose roles work with figures only: their
    pack holds only the items added by hand. Reads only; `pack_disclosures_record` writes
    the audit trail when the pack is shown."""
    readers = _Readers(meeting, organisation, shows_people)
    builder = _Builder(meeting, organisation, readers)
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .prefetch_related(Prefetch("audience", queryset=Organisation.objects.only("pk")))
        .order_by("position", "pk")
    )
    builder.load(items)
    shown = []
    for item in items:
        seen = builder.item(item)
        if seen is not None:
            seen.number = len(shown) + 1
            shown.append(seen)
    agreed = _actions(
        actions_at_least(readers.first, Level.DEPERSONALISED).filter(meeting=meeting)
    ).order_by("due_on", "pk")
    actions = []
    for action in agreed:
        base = PackItem(
            number=len(actions) + 1,
            item_id=0,
            kind="action",
            kind_label="Action",
            proposed=False,
            heading="",
        )
        seen = builder._action(action, base)
        if seen is not None:
            seen.level_words = LEVEL_WORDS[seen.level]
            actions.append(seen)
    return Pack(
        meeting=meeting,
        organisation=organisation,
        items=shown,
        actions=actions,
        other_business=[i.item_id for i in shown if not i.level],
    )


def pack_disclosures_record(
    *, actor: User, pack: Pack, action: str = "meeting pack", form: str = "html"
) -> None:
    """Write down the pack being shown: one audit event per record of another organisation
    in it, with the level and the protocol (or rule) that allowed it; an event with no
    record when the pack disclosed none."""
    detail = {
        "meeting": pack.meeting.pk,
        "organisation": pack.organisation.code,
        "format": form,
        "other_business": pack.other_business,
    }
    disclosures = pack.disclosures
    audit_record(
        actor=actor,
        action=action,
        purpose=Purpose.TASKING,
        disclosures=disclosures,
        detail=detail,
        partnership_code="" if disclosures else pack.meeting.partnership.code,
    )


def pack_pdf(pack: Pack) -> bytes:
    """The pack as a PDF (WeasyPrint), from the same content as the HTML page. Reads only:
    the caller writes the audit trail when it hands the PDF over."""
    from weasyprint import HTML  # a heavy import, only for PDFs

    from saferhub.meetings.presenters import meeting_page

    html = render_to_string(
        "meetings/pack_pdf.html", {"meeting": meeting_page(pack.meeting), "pack": pack}
    )
    return HTML(string=html).write_pdf()
