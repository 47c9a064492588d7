"""The sharing engine: the rules of DESIGN.md section 4, decided in one place.

`decide` applies the rules to one record in Python; `visibility_filter` compiles the very
same rules into a database filter, so that a list of records is one query that the database
filters, and each record fetched is then described (level, and why) by `decide`. Both start
from a `Reader`: who is reading, from which organisation, for which purpose, on which day,
with the protocols that could apply to them already looked up.

The order of the rules (the first that applies decides):

0. A user sees nothing of a partnership in which they hold no role. A user whose roles there
   are all ones that work with figures, not people (a manager), sees at most `aggregate`.
1. The reader's organisation owns the record, or is the other party named on it (the
   organisation a referral was sent to, the one an action was given to): `personal`.
2. The reader has a current emergency disclosure for the record: `personal`.
3. The record is restricted: `personal` to its relevant partners, `none` to everyone else.
4. The highest level among the protocols of the record's partnership that are active today,
   signed by both organisations, cover the purpose and every theme of the record, and share
   with all signatories or with the record's relevant partners of whom the reader is one.
   (Ties go to the protocol first by code, then version.)
5. Otherwise `none`.
"""

import dataclasses
import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import IsNull
from django.utils import timezone

from saferhub.partnerships.models import ROLES_THAT_SEE_PERSONAL_DATA, RoleAssignment, User
from saferhub.partnerships.themes import books_for, themes_within
from saferhub.sharing.models import (
    Audience,
    EmergencyDisclosure,
    Level,
    Protocol,
    Purpose,
    Signatory,
)

RANK = {Level.NONE: 0, Level.AGGREGATE: 1, Level.DEPERSONALISED: 2, Level.PERSONAL: 3}

OWNER = "owner"
RECIPIENT = "recipient"
RELEVANT_PARTNER = "relevant_partner"
EMERGENCY = "emergency"
PROTOCOL = "protocol"


@dataclass(frozen=True)
class ProtocolTerms:
    """What one active protocol version lets the reader's organisation see."""

    id: int
    partnership_id: int
    code: str
    version: int
    level: str
    audience: str
    signatory_ids: frozenset[int]
    theme_ids: frozenset[int]
    theme_mask: int

    @property
    def rank(self) -> int:
        return RANK[self.level]


@dataclass(frozen=True)
class SharedUnder:
    """Why a reader may see a record: a rule, or a protocol and its version."""

    rule: str
    protocol_code: str = ""
    protocol_version: int | None = None

    def as_json(self) -> str | dict:
        if self.rule == PROTOCOL:
            return {"protocol": self.protocol_code, "version": self.protocol_version}
        return self.rule

    def in_words(self) -> str:
        if self.rule == OWNER:
            return "Your organisation recorded this."
        if self.rule == RECIPIENT:
            return "This was sent or given to your organisation."
        if self.rule == RELEVANT_PARTNER:
            return (
                "This record is restricted, and your organisation is named on it as a "
                "relevant partner."
            )
        if self.rule == EMERGENCY:
            return "You made an emergency disclosure (vital interests) for this record."
        return f"Shared under protocol {self.protocol_code}, version {self.protocol_version}."


@dataclass(frozen=True)
class Access:
    level: str
    shared_under: SharedUnder | None = None

    @property
    def rank(self) -> int:
        return RANK[self.level]


NO_ACCESS = Access(Level.NONE)


@dataclass
class Reader:
    """Someone reading records, for one purpose, at one moment."""

    user: User
    organisation_id: int | None
    purpose: str
    now: datetime.datetime
    # Partnerships where the user holds any role, and those where a role shows people.
    partnerships: frozenset[int] = frozenset()
    personal_partnerships: frozenset[int] = frozenset()
    # Active protocols the reader's organisation signed, for the purpose, best first.
    protocols: list[ProtocolTerms] = field(default_factory=list)
    # Incidents the user holds a current emergency disclosure for.
    emergency_incident_ids: frozenset[int] = frozenset()
    _theme_books: dict | None = None

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)

    def theme_books(self) -> dict:
        """The themes of each partnership the reader works in (looked up once)."""
        if self._theme_books is None:
            self._theme_books = books_for(self.partnerships)
        return self._theme_books


def protocol_terms(protocols: "QuerySet[Protocol]") -> list[ProtocolTerms]:
    """What each protocol shares, read as plain values in two queries: this runs on every
    page, so it builds no model objects. (A protocol with no theme covers no record.)"""
    rows = Protocol.themes.through.objects.filter(protocol__in=protocols).values_list(
        "protocol_id",
        "protocol__partnership_id",
        "protocol__code",
        "protocol__version",
        "protocol__level",
        "protocol__audience",
        "theme_id",
        "theme__bit",
    )
    found: dict[int, dict] = {}
    for pk, partnership_id, code, version, level, audience, theme_id, bit in rows:
        terms = found.setdefault(
            pk,
            {
                "id": pk,
                "partnership_id": partnership_id,
                "code": code,
                "version": version,
                "level": level,
                "audience": audience,
                "theme_ids": set(),
                "theme_mask": 0,
            },
        )
        terms["theme_ids"].add(theme_id)
        terms["theme_mask"] |= 1 << bit
    signatories: dict[int, set[int]] = {pk: set() for pk in found}
    for protocol_id, organisation_id in Signatory.objects.filter(
        protocol_id__in=list(found)
    ).values_list("protocol_id", "organisation_id"):
        signatories[protocol_id].add(organisation_id)
    return [
        ProtocolTerms(
            **{**terms, "theme_ids": frozenset(terms["theme_ids"])},
            signatory_ids=frozenset(signatories[pk]),
        )
        for pk, terms in found.items()
    ]


def best_first(protocols: list[ProtocolTerms]) -> list[ProtocolTerms]:
    """Highest level first; at the same level, first by code, then version."""
    return sorted(protocols, key=lambda p: (-p.rank, p.code, p.version))


def reader_for(user: User, purpose: str, now: datetime.datetime | None = None) -> Reader:
    """Look up everything the rules need to know about the reader, in four small queries."""
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    now = now or timezone.now()
    roles = list(RoleAssignment.objects.filter(user=user).values_list("partnership_id", "role"))
    partnerships = frozenset(p for p, _ in roles)
    personal = frozenset(p for p, role in roles if role in ROLES_THAT_SEE_PERSONAL_DATA)
    organisation_id = user.organisation_id
    protocols: list[ProtocolTerms] = []
    if organisation_id is not None and partnerships:
        found = (
            Protocol.objects.active_on(timezone.localdate(now))
            .filter(partnership_id__in=partnerships, signatories=organisation_id)
            .filter(**{f"for_{purpose}": True})
        )
        protocols = best_first(protocol_terms(found))
    emergency = frozenset(
        EmergencyDisclosure.objects.filter(
            user=user, starts_at__lte=now, ends_at__gt=now
        ).values_list("incident_id", flat=True)
    )
    return Reader(
        user=user,
        organisation_id=organisation_id,
        purpose=purpose,
        now=now,
        partnerships=partnerships,
        personal_partnerships=personal,
        protocols=protocols,
        emergency_incident_ids=emergency,
    )


def reader_in_partnership(reader: Reader, partnership_id: int) -> Reader:
    """The reader as they are in one partnership: the pages of a partnership show only what
    reaches the reader through that partnership's incidents (and their own organisation's
    records when their roles there show people). Narrowing can only take sight away."""
    return dataclasses.replace(
        reader,
        partnerships=reader.partnerships & {partnership_id},
        personal_partnerships=reader.personal_partnerships & {partnership_id},
        protocols=[p for p in reader.protocols if p.partnership_id == partnership_id],
        _theme_books=None,
    )


def decide(
    reader: Reader,
    *,
    partnership_id: int,
    owner_id: int,
    theme_ids: set[int] | frozenset[int],
    restricted: bool,
    relevant_partner_ids: set[int] | frozenset[int],
    emergency: bool = False,
    recipient_id: int | None = None,
) -> Access:
    """The level at which `reader` may see one record, and why (rules 0 to 5 above).

    `recipient_id` is the record's other party, for kinds of record that have one (a
    referral's receiving organisation, an action's assignee)."""
    if partnership_id not in reader.partnerships:
        return NO_ACCESS
    access = _decide_by_organisation(
        reader,
        partnership_id=partnership_id,
        owner_id=owner_id,
        theme_ids=theme_ids,
        restricted=restricted,
        relevant_partner_ids=relevant_partner_ids,
        emergency=emergency,
        recipient_id=recipient_id,
    )
    if partnership_id not in reader.personal_partnerships and access.rank > RANK[Level.AGGREGATE]:
        return Access(Level.AGGREGATE, access.shared_under)
    return access


def _decide_by_organisation(
    reader: Reader,
    *,
    partnership_id: int,
    owner_id: int,
    theme_ids,
    restricted: bool,
    relevant_partner_ids,
    emergency: bool,
    recipient_id: int | None,
) -> Access:
    p = reader.organisation_id
    if p is not None and owner_id == p:
        return Access(Level.PERSONAL, SharedUnder(OWNER))
    if p is not None and recipient_id == p:
        return Access(Level.PERSONAL, SharedUnder(RECIPIENT))
    if emergency:
        return Access(Level.PERSONAL, SharedUnder(EMERGENCY))
    if restricted:
        if p in relevant_partner_ids:
            return Access(Level.PERSONAL, SharedUnder(RELEVANT_PARTNER))
        return NO_ACCESS
    for terms in reader.protocols:  # best first, so the first that applies is the highest
        if (
            terms.partnership_id == partnership_id
            and owner_id in terms.signatory_ids
            and set(theme_ids) <= terms.theme_ids
            and (terms.audience == Audience.ALL_SIGNATORIES or p in relevant_partner_ids)
        ):
            return Access(terms.level, SharedUnder(PROTOCOL, terms.code, terms.version))
    return NO_ACCESS


@dataclass(frozen=True)
class RecordShape:
    """Where a kind of record keeps what the rules look at, for compiling them to SQL.

    The record has `partnership_id`, `owner_id`, `restricted` and a theme mask column;
    `relevant_partner_links` is a model with a foreign key to the record (`record_field`) and
    one to the organisation (`organisation`).
    """

    theme_mask_field: str
    relevant_partner_links: type
    record_field: str
    # Which of the reader's emergency disclosures apply to this kind of record.
    emergency_ids: str = ""
    # The column naming the record's other party, who sees it as its owner does (a
    # referral's receiving organisation); empty for kinds of record without one.
    recipient_field: str = ""


def visibility_filter(reader: Reader, shape: RecordShape, at_least: str) -> Q:
    """The rules as one database filter: records the reader may see at `at_least` or above.

    Equivalent to `decide(...).rank >= RANK[at_least]` for every record, written as plain
    conditions on the record's columns so that the database can walk its newest-first index
    and stop at the first page.
    """
    minimum = RANK[at_least]
    if minimum < RANK[Level.AGGREGATE]:
        raise ValueError("a filter for level none would be every record")
    p = reader.organisation_id
    # "Is the reader named a relevant partner?" as a scalar subquery: PostgreSQL would turn
    # an EXISTS here into a hash of every record naming the reader, built on each query,
    # where this probes the (organisation, record) index only for the rows that reach it.
    named = Q(
        IsNull(
            Subquery(
                shape.relevant_partner_links.objects.filter(
                    **{shape.record_field: OuterRef("pk"), "organisation_id": p}
                ).values("pk")[:1]
            ),
            False,
        )
    )
    emergency_ids = getattr(reader, shape.emergency_ids) if shape.emergency_ids else ()

    def reaching(partnerships: frozenset[int], cap: int) -> Q:
        if cap < minimum or not partnerships:
            return Q(pk__in=[])
        condition = Q(restricted=True) & named
        if p is not None:
            condition |= Q(owner_id=p)
            if shape.recipient_field:
                condition |= Q(**{shape.recipient_field: p})
        if emergency_ids:
            condition |= Q(pk__in=emergency_ids)
        for terms in reader.protocols:
            if terms.rank < minimum or terms.partnership_id not in partnerships:
                continue
            shared = (
                Q(restricted=False)
                & Q(partnership_id=terms.partnership_id)
                & Q(owner_id__in=terms.signatory_ids)
                & themes_within(shape.theme_mask_field, terms.theme_mask)
            )
            if terms.audience == Audience.RELEVANT_PARTNERS:
                shared &= named
            condition |= shared
        return Q(partnership_id__in=partnerships) & condition

    uncapped = reader.personal_partnerships & reader.partnerships
    return reaching(uncapped, RANK[Level.PERSONAL]) | reaching(
        reader.partnerships - uncapped, RANK[Level.AGGREGATE]
    )
