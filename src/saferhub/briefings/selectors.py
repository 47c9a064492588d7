"""One reader's version of a daily briefing, built entirely through the sharing engine.

Every part is read with the reader's own filter (incidents, referrals and actions at the
level the rules allow): a record at `none` is in no count, list or repeat; one at
`aggregate` only counts, and counts from 1 to 4 are suppressed; lists and repeats hold only
what the reader may see at `depersonalised` or above, shown through the redaction module.
A repeat is counted from the incidents the reader may see listed, so incidents hidden from
them can never make a place or person a repeat in their version.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone

from saferhub.actions.models import OPEN_STATUSES as ACTION_OPEN
from saferhub.actions.models import Action, ActionStatus
from saferhub.actions.selectors import actions_at_least
from saferhub.briefings.models import Briefing, BriefingSettings, BriefingStatus
from saferhub.briefings.services import briefing_settings_of, is_coordinator
from saferhub.geography.models import DataZone, IntermediateZone
from saferhub.incidents.models import Incident, IncidentPerson
from saferhub.incidents.selectors import (
    SUPPRESS_BELOW,
    access_of,
    incidents_at_least,
    with_details,
)
from saferhub.incidents.vocabulary import Category, PersonRole, VulnerabilityFlag
from saferhub.linkage.models import RecordLink
from saferhub.partnerships.models import User
from saferhub.referrals.models import OPEN_STATUSES as REFERRAL_OPEN
from saferhub.referrals.models import Referral
from saferhub.referrals.selectors import referrals_at_least
from saferhub.sharing.engine import Access, Reader, decide, reader_for, reader_in_partnership
from saferhub.sharing.models import Level, Purpose
from saferhub.sharing.pseudonyms import age_band, pseudonym
from saferhub.sharing.redaction import incident_as_seen, person_subject_key

# How many rows a section lists; beyond that it says how many more there are.
LIST_LIMIT = 200
REPEATS_LIMIT = 25
REFERRALS_LIMIT = 100
# The incidents of one repeat linked from the briefing (the newest).
REPEAT_INCIDENTS_SHOWN = 10
REPEAT_ROLES = (PersonRole.VICTIM, PersonRole.PERPETRATOR, PersonRole.SUBJECT_OF_CONCERN)


def shown_count(count: int) -> int | None:
    """A count as it may be published: 1 to 4 is suppressed (None); 0 tells of no one."""
    return None if 0 < count < SUPPRESS_BELOW else count


@dataclass
class CountRow:
    label: str
    count: int | None  # None: suppressed


@dataclass
class Repeat:
    """A place or person with the threshold's number of incidents or more."""

    label: str
    detail: str
    count: int
    last_at: datetime.datetime
    incident_ids: list[int]
    personal: bool


@dataclass
class ReferralRow:
    id: int
    kind: str
    urgency: str
    sent_by: str
    sent_to: str
    sent_at: datetime.datetime
    due_at: datetime.datetime
    status: str
    reason: str  # blank unless the reader sees the referral in full
    personal: bool


@dataclass
class ActionRow:
    id: int
    title: str
    given_to: str
    set_by: str
    due_on: datetime.date
    status: str
    overdue: bool
    personal: bool


@dataclass
class BriefingContent:
    briefing: Briefing
    reader: Reader
    settings: BriefingSettings
    area_name: str
    total: int | None
    by_theme: list[CountRow]
    by_area: list[CountRow]
    incidents: list[dict]
    incidents_more: int
    repeat_places: list[Repeat]
    repeat_people: dict[str, list[Repeat]]
    vulnerable: list[dict]
    new_referrals: list[ReferralRow]
    overdue_referrals: list[ReferralRow]
    actions_due: list[ActionRow]
    tasks: list[ActionRow]
    # The records shown, for the audit trail (briefings.services.briefing_reads_record).
    shown_incidents: list[Incident] = field(default_factory=list, repr=False)
    # (record, the reader's access to it), so the audit trail need not decide again.
    shown_referrals: list[tuple[Referral, Access]] = field(default_factory=list, repr=False)
    shown_actions: list[tuple[Action, Access]] = field(default_factory=list, repr=False)

    @property
    def notes(self) -> str:
        return self.briefing.notes


def briefing_reader(user: User, briefing: Briefing) -> Reader:
    """The reader for a briefing: tasking, within the briefing's partnership."""
    return reader_in_partnership(reader_for(user, Purpose.TASKING), briefing.partnership_id)


def briefings_visible_to(user: User, partnership_id: int) -> QuerySet[Briefing]:
    """Briefings the user may open: published ones for every member, drafts for coordinators
    as well. (What each shows is then built for the user by `briefing_for_reader`.)"""
    briefings = Briefing.objects.filter(partnership_id=partnership_id)
    if is_coordinator(user, partnership_id):
        return briefings
    return briefings.filter(status=BriefingStatus.PUBLISHED)


def area_zones(area: str) -> tuple[str, ...] | None:
    """The data zones of an intermediate zone, or None for the whole partnership."""
    if not area:
        return None
    return tuple(
        DataZone.objects.filter(intermediate_zone__code=area).values_list("code", flat=True)
    )


def _in_scope(queryset: QuerySet, briefing: Briefing, zones, start, end) -> QuerySet:
    queryset = queryset.filter(
        partnership_id=briefing.partnership_id, occurred_at__gte=start, occurred_at__lt=end
    )
    return queryset if zones is None else queryset.filter(data_zone__in=zones)


def briefing_for_reader(reader: Reader, briefing: Briefing) -> BriefingContent:
    """The reader's version of the briefing (pass a tasking reader narrowed to the
    briefing's partnership, `briefing_reader`). Reads only; the caller writes the audit
    trail for what it shows (`briefing_reads_record`)."""
    settings = briefing_settings_of(briefing.partnership)
    zones = area_zones(briefing.area)
    start, end = briefing.window_start, briefing.window_end
    book = reader.theme_books().get(briefing.partnership_id)

    counted = _in_scope(incidents_at_least(reader, Level.AGGREGATE), briefing, zones, start, end)
    total, by_theme = _theme_counts(counted, book)
    by_area = _area_counts(counted)

    listed = _in_scope(
        incidents_at_least(reader, Level.DEPERSONALISED), briefing, zones, start, end
    ).order_by("-occurred_at", "-id")
    window_ids = list(listed.values_list("pk", flat=True)[: LIST_LIMIT + 1])
    more = 0
    if len(window_ids) > LIST_LIMIT:
        more = listed.count() - LIST_LIMIT
        window_ids = window_ids[:LIST_LIMIT]

    repeat_start = end - datetime.timedelta(days=settings.repeat_window_days)
    repeat_scope = _in_scope(
        incidents_at_least(reader, Level.DEPERSONALISED), briefing, zones, repeat_start, end
    )
    personal_ids = set(
        _in_scope(
            incidents_at_least(reader, Level.PERSONAL), briefing, zones, repeat_start, end
        ).values_list("pk", flat=True)
    )
    places = _repeat_places(repeat_scope, briefing, settings.repeat_threshold, personal_ids)
    people = _repeat_people(
        repeat_scope, briefing, settings.repeat_threshold, personal_ids, end.date()
    )

    wanted = set(window_ids)
    for repeat in places + [r for found in people.values() for r in found]:
        wanted.update(repeat.incident_ids)
    shown = with_details(
        incidents_at_least(reader, Level.DEPERSONALISED)
        .filter(pk__in=wanted)
        .select_related("partnership", "owner")
    )
    by_id = {incident.pk: incident for incident in shown}
    window_incidents = [by_id[pk] for pk in window_ids if pk in by_id]
    seen = [incident_as_seen(i, access_of(reader, i)) for i in window_incidents]

    referrals_new, referrals_overdue, referral_objects = _referrals(reader, briefing)
    due, tasks, action_objects = _actions(reader, briefing)
    return BriefingContent(
        briefing=briefing,
        reader=reader,
        settings=settings,
        area_name=_area_name(briefing.area),
        total=total,
        by_theme=by_theme,
        by_area=by_area,
        incidents=[_incident_row(s, book) for s in seen],
        incidents_more=more,
        repeat_places=places,
        repeat_people=people,
        vulnerable=_vulnerable(seen),
        new_referrals=referrals_new,
        overdue_referrals=referrals_overdue,
        actions_due=due,
        tasks=tasks,
        shown_incidents=shown,
        shown_referrals=referral_objects,
        shown_actions=action_objects,
    )


def _area_name(area: str) -> str:
    if not area:
        return ""
    zone = IntermediateZone.objects.filter(code=area).first()
    return f"{zone.name} ({area})" if zone and zone.name else area


def _theme_counts(counted: QuerySet, book) -> tuple[int | None, list[CountRow]]:
    # Grouped by the whole mask in the database (few distinct masks), then split by theme:
    # an incident with two themes counts once under each, and once in the total.
    per_theme: dict[str, int] = defaultdict(int)
    total = 0
    for mask, count in counted.values_list("theme_mask").annotate(n=Count("pk")).order_by():
        total += count
        for theme in book.themes_in(mask) if book else ():
            per_theme[theme.name] += count
    rows = [CountRow(name, shown_count(n)) for name, n in per_theme.items()]
    rows.sort(key=lambda r: (-(r.count or 0), r.label))
    return shown_count(total), rows


def _area_counts(counted: QuerySet) -> list[CountRow]:
    by_zone = dict(counted.values_list("data_zone").annotate(n=Count("pk")).order_by())
    names = {
        code: (iz_code, iz_name)
        for code, iz_code, iz_name in DataZone.objects.filter(
            code__in=[z for z in by_zone if z]
        ).values_list("code", "intermediate_zone__code", "intermediate_zone__name")
    }
    per_area: dict[str, int] = defaultdict(int)
    for zone, count in by_zone.items():
        if not zone:
            label = "No data zone recorded"
        elif zone in names:
            iz_code, iz_name = names[zone]
            label = f"{iz_name} ({iz_code})" if iz_name else iz_code
        else:
            label = f"Data zone {zone}"
        per_area[label] += count
    rows = [CountRow(label, shown_count(n)) for label, n in per_area.items()]
    rows.sort(key=lambda r: (-(r.count or 0), r.label))
    return rows


def _entity(partnership_id: int, record_field: str) -> Subquery:
    return Subquery(
        RecordLink.objects.filter(
            partnership_id=partnership_id, **{record_field: OuterRef(record_field)}
        ).values("entity_id")[:1]
    )


def _repeat_places(
    scope: QuerySet, briefing: Briefing, threshold: int, personal_ids: set[int]
) -> list[Repeat]:
    """Places with `threshold` or more of the incidents in scope: the linked place where
    the place record is linked, else the place record, else the address as typed."""
    rows = scope.annotate(place_entity=_entity(briefing.partnership_id, "place_record_id"))
    groups: dict[str, list[tuple]] = defaultdict(list)
    for row in rows.values_list(
        "pk", "occurred_at", "place_record_id", "place_entity", "address", "postcode", "data_zone"
    ):
        _, _, record, entity, address, postcode, _ = row
        if entity:
            key = f"entity-{entity}"
        elif record:
            key = f"record-{record}"
        elif address.strip():
            key = f"address-{' '.join(address.lower().split())}|{postcode.replace(' ', '').upper()}"
        else:
            continue
        groups[key].append(row)
    found = []
    for rows_ in groups.values():
        if len(rows_) < threshold:
            continue
        rows_.sort(key=lambda r: (r[1], r[0]), reverse=True)
        personal = [r for r in rows_ if r[0] in personal_ids]
        if personal:
            _, _, _, _, address, postcode, zone = personal[0]
            label = ", ".join(part for part in (address, postcode) if part) or "Address not given"
        else:
            zone = rows_[0][6]
            label = f"Data zone {zone}" if zone else "A place with no data zone recorded"
        detail = f"Data zone {zone}" if personal and zone else ""
        found.append(
            Repeat(
                label=label,
                detail=detail,
                count=len(rows_),
                last_at=rows_[0][1],
                incident_ids=[r[0] for r in rows_[:REPEAT_INCIDENTS_SHOWN]],
                personal=bool(personal),
            )
        )
    found.sort(key=lambda r: (-r.count, -r.last_at.timestamp()))
    return found[:REPEATS_LIMIT]


def _repeat_people(
    scope: QuerySet, briefing: Briefing, threshold: int, personal_ids: set[int], on
) -> dict[str, list[Repeat]]:
    """For each role (victim, perpetrator, subject of concern): people in that role in
    `threshold` or more of the incidents in scope. A person is the linked person where the
    person record is linked, else the person record, else their subject key (name and date
    of birth as recorded)."""
    rows = (
        IncidentPerson.objects.filter(incident__in=scope.values("pk"), role__in=REPEAT_ROLES)
        .annotate(person_entity=_entity(briefing.partnership_id, "person_record_id"))
        .values_list(
            "pk",
            "incident_id",
            "incident__occurred_at",
            "role",
            "person_record_id",
            "person_entity",
            "given_name",
            "family_name",
            "date_of_birth",
        )
    )
    code = briefing.partnership.code
    groups: dict[tuple[str, str], dict[int, tuple]] = defaultdict(dict)
    for row in rows:
        pk, incident_id, _, role, record, entity, given, family, born = row
        if entity:
            key = f"entity-{entity}"
        elif record:
            key = f"record-{record}"
        else:
            key = "subject-" + person_subject_key(code, _as_recorded(pk, given, family, born))
        groups[(role, key)].setdefault(incident_id, row)
    found: dict[str, list[Repeat]] = {role.value: [] for role in REPEAT_ROLES}
    for (role, _), by_incident in groups.items():
        if len(by_incident) < threshold:
            continue
        rows_ = sorted(by_incident.values(), key=lambda r: (r[2], r[1]), reverse=True)
        personal = [r for r in rows_ if r[1] in personal_ids]
        newest = personal[0] if personal else rows_[0]
        pk, _, _, _, _, _, given, family, born = newest
        if personal and (given or family):
            label = f"{given} {family}".strip()
        else:
            label = pseudonym(person_subject_key(code, _as_recorded(pk, given, family, born)))
        found[role].append(
            Repeat(
                label=label,
                detail=f"Age band {age_band(born, on)}",
                count=len(rows_),
                last_at=rows_[0][2],
                incident_ids=[r[1] for r in rows_[:REPEAT_INCIDENTS_SHOWN]],
                personal=bool(personal),
            )
        )
    for role in found:
        found[role].sort(key=lambda r: (-r.count, -r.last_at.timestamp()))
        found[role] = found[role][:REPEATS_LIMIT]
    return found


def _as_recorded(pk, given, family, born) -> IncidentPerson:
    # Only what person_subject_key reads, so that keys match the rest of the hub's.
    return IncidentPerson(pk=pk, given_name=given, family_name=family, date_of_birth=born)


def _incident_row(seen: dict, book) -> dict:
    themes = [book.by_code[c].name if book and c in book.by_code else c for c in seen["themes"]]
    return {
        **seen,
        "occurred": timezone.localtime(datetime.datetime.fromisoformat(seen["occurred_at"])),
        "category_label": Category(seen["category"]).label,
        "theme_names": ", ".join(themes),
        "personal": seen["access_level"] == Level.PERSONAL,
        "where": _where(seen),
    }


def _where(seen: dict) -> str:
    place = seen["place"] or {}
    if place.get("address"):
        return ", ".join(p for p in (place["address"], place.get("postcode", "")) if p)
    if place.get("data_zone"):
        return f"Data zone {place['data_zone']}"
    return "Not recorded"


def _vulnerable(seen: list[dict]) -> list[dict]:
    """The people in the window's incidents that carry vulnerability flags."""
    flags, roles = dict(VulnerabilityFlag.choices), dict(PersonRole.choices)
    rows = []
    for incident in seen:
        if not incident["vulnerability_flags"]:
            continue
        names = ", ".join(flags.get(f, f) for f in incident["vulnerability_flags"])
        people = incident["people"] or [None]
        for person in people:
            if person is None:
                who, role, band = "No one named", "", ""
            else:
                named = " ".join(
                    n for n in (person.get("given_name"), person.get("family_name")) if n
                )
                who = named or person["pseudonym"]
                role, band = roles.get(person["role"], person["role"]), person["age_band"]
            rows.append(
                {
                    "incident_id": incident["id"],
                    "who": who,
                    "role": role,
                    "age_band": band,
                    "flags": names,
                }
            )
    return rows


def _access(reader: Reader, record, recipient_id: int) -> Access:
    """The reader's access to a referral or action fetched with its relevant partners: the
    same decision as referral_access and action_access, with the theme book the reader has
    already looked up rather than a query per record."""
    book = reader.theme_books()[record.partnership_id]
    return decide(
        reader,
        partnership_id=record.partnership_id,
        owner_id=record.owner_id,
        recipient_id=recipient_id,
        theme_ids={theme.pk for theme in book.themes_in(record.theme_mask)},
        restricted=record.restricted,
        relevant_partner_ids={o.pk for o in record.relevant_partners.all()},
    )


def _referrals(reader: Reader, briefing: Briefing):
    visible = (
        referrals_at_least(reader, Level.DEPERSONALISED)
        .filter(partnership_id=briefing.partnership_id)
        .select_related("owner", "recipient", "referral_type")
        .prefetch_related("relevant_partners")
    )
    new = list(
        visible.filter(
            sent_at__gte=briefing.window_start, sent_at__lt=briefing.window_end
        ).order_by("-sent_at", "-id")[:REFERRALS_LIMIT]
    )
    overdue = list(
        visible.filter(status__in=REFERRAL_OPEN, due_at__lt=reader.now).order_by("due_at", "id")[
            :REFERRALS_LIMIT
        ]
    )
    shown = {r.pk: (r, _access(reader, r, r.recipient_id)) for r in new + overdue}
    rows = (
        [_referral_row(*shown[r.pk]) for r in new],
        [_referral_row(*shown[r.pk]) for r in overdue],
    )
    return (*rows, list(shown.values()))


def _referral_row(referral: Referral, access: Access) -> ReferralRow:
    personal = access.level == Level.PERSONAL
    return ReferralRow(
        id=referral.pk,
        kind=referral.referral_type.name,
        urgency=referral.get_urgency_display(),
        sent_by=referral.owner.name,
        sent_to=referral.recipient.name,
        sent_at=referral.sent_at,
        due_at=referral.due_at,
        status=referral.get_status_display(),
        reason=referral.reason if personal else "",
        personal=personal,
    )


def _actions(reader: Reader, briefing: Briefing):
    visible = (
        actions_at_least(reader, Level.DEPERSONALISED)
        .filter(partnership_id=briefing.partnership_id)
        .select_related("owner", "assignee_organisation")
        .prefetch_related("relevant_partners")
    )
    due = list(
        visible.filter(status__in=ACTION_OPEN, due_on__lte=briefing.for_date).order_by(
            "due_on", "id"
        )[:LIST_LIMIT]
    )
    tasks = list(visible.filter(briefing=briefing).order_by("due_on", "id"))
    shown = {a.pk: (a, _access(reader, a, a.assignee_organisation_id)) for a in due + tasks}
    on = briefing.for_date
    return (
        [_action_row(*shown[a.pk], on) for a in due],
        [_action_row(*shown[a.pk], on) for a in tasks],
        list(shown.values()),
    )


def _action_row(action: Action, access: Access, on: datetime.date) -> ActionRow:
    personal = access.level == Level.PERSONAL
    return ActionRow(
        id=action.pk,
        title=action.title if personal else "An action whose detail you may not see",
        given_to=action.assignee_organisation.name,
        set_by=action.owner.name,
        due_on=action.due_on,
        status=ActionStatus(action.status).label,
        overdue=action.is_open and action.due_on < on,
        personal=personal,
    )
