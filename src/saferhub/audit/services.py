"""Writing the audit trail, and checking that nobody has changed it.

Every event's hash covers its content and the previous event's hash, so changing, removing
or inserting an event anywhere breaks the chain from there on; `audit_chain_verify` walks the
chain and names the first event that does not fit.

The content hashed is a canonical JSON object of the event's fields (`HASHED_FIELDS`, with
`occurred_at` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`) plus `subjects`, its subject keys
sorted; keys sorted, no spaces, ASCII; the hash is its SHA-256 in hex.
"""

import datetime
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from saferhub.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, AuditSubject
from saferhub.partnerships.models import User
from saferhub.sharing.engine import PROTOCOL, Access

LEVELS = ("personal", "depersonalised", "aggregate")
PURPOSES = ("", "tasking", "referral", "analysis")

# The fields of an event that its hash covers, besides its subjects: all but the hash.
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_organisation",
    "action",
    "purpose",
    "record_type",
    "record_id",
    "partnership_code",
    "owner_code",
    "level",
    "basis",
    "protocol_code",
    "protocol_version",
    "detail",
    "previous_hash",
)


@dataclass(frozen=True)
class Disclosure:
    """One record shown to someone, and why they could see it."""

    record_type: str  # "incident", "referral", "case", "person", ...
    record_id: int
    partnership_code: str
    owner_code: str  # organisation code of the record's owner
    level: str  # "personal" | "depersonalised" | "aggregate"
    basis: str  # "owner" | "relevant_partner" | "emergency" | "protocol" | "export" ...
    protocol_code: str = ""
    protocol_version: int | None = None
    subjects: tuple[str, ...] = ()  # subject keys of the people the record is about


def disclosure_under(
    access: "Access",
    *,
    record_type: str,
    record_id: int,
    partnership_code: str,
    owner_code: str,
    subjects: tuple[str, ...] = (),
) -> Disclosure:
    """The audit trail's account of showing one record at the level `access` allows, and why:
    the rule that allowed it, and for a protocol its code and version."""
    basis = access.shared_under
    by_protocol = basis is not None and basis.rule == PROTOCOL
    return Disclosure(
        record_type=record_type,
        record_id=record_id,
        partnership_code=partnership_code,
        owner_code=owner_code,
        level=access.level,
        basis=basis.rule if basis else "",
        protocol_code=basis.protocol_code if by_protocol else "",
        protocol_version=basis.protocol_version if by_protocol else None,
        subjects=subjects,
    )


class AuditChainHeadMissing(Exception):
    """The chain has events but no head: someone removed it. Nothing more is written."""


def audit_record(
    *,
    actor: User | None,
    action: str,
    purpose: str,
    disclosures: Sequence[Disclosure] = (),
    detail: dict | None = None,
    partnership_code: str = "",
) -> list[AuditEvent]:
    """Append one event per disclosure (or one event with no record if disclosures is empty),
    in the caller's transaction.

    `actor` is None for the hub's own events. An event with no record belongs to
    `partnership_code`, or else to `detail["partnership"]` when that is a string (as the
    protocol services pass it), so that the partnership's auditors find it.

        audit_record(actor=user, action="read", purpose="tasking", disclosures=[
            Disclosure("incident", 42, "fife", "police-fife", "personal", "protocol",
                       protocol_code="fife-isp", protocol_version=3, subjects=(key,)),
        ])
    """
    _check_length("action", action, 40)
    if not action:
        raise ValueError("an audit event needs an action")
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}: one of {', '.join(PURPOSES[1:])} or ''")
    detail = _normalised_detail(detail)
    if disclosures and partnership_code:
        raise ValueError("partnership_code is for events with no record; disclosures carry theirs")
    if not disclosures and not partnership_code and isinstance(detail.get("partnership"), str):
        partnership_code = detail["partnership"]
    _check_length("partnership_code", partnership_code, 60)
    for disclosure in disclosures:
        _check_disclosure(disclosure)

    common = {
        "occurred_at": timezone.now(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": actor.username if actor is not None else "",
        "actor_organisation": _organisation_code(actor),
        "action": str(action),
        "purpose": str(purpose),
        "detail": detail,
    }
    if disclosures:
        rows = [
            (
                {
                    **common,
                    "record_type": str(d.record_type),
                    "record_id": d.record_id,
                    "partnership_code": str(d.partnership_code),
                    "owner_code": str(d.owner_code),
                    "level": str(d.level),
                    "basis": str(d.basis),
                    "protocol_code": str(d.protocol_code),
                    "protocol_version": d.protocol_version,
                },
                sorted(set(d.subjects)),
            )
            for d in disclosures
        ]
    else:
        rows = [
            (
                {
                    **common,
                    "record_type": "",
                    "record_id": None,
                    "partnership_code": partnership_code,
                    "owner_code": "",
                    "level": "",
                    "basis": "",
                    "protocol_code": "",
                    "protocol_version": None,
                },
                [],
            )
        ]

    # savepoint=False: inside the caller's transaction this adds no SAVEPOINT round trips;
    # an error rolls back the caller's transaction, which is what an audit failure must do.
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        numbers = _next_sequence_numbers(len(rows), after=head.last_sequence)
        previous_hash = head.last_hash
        events, subjects = [], []
        for number, (fields, keys) in zip(numbers, rows, strict=True):
            fields = {**fields, "sequence": number, "previous_hash": previous_hash}
            event = AuditEvent(**fields, hash=event_hash(fields, keys))
            events.append(event)
            subjects += [AuditSubject(event_id=number, subject_key=key) for key in keys]
            previous_hash = event.hash
        AuditEvent.objects.bulk_create(events)
        if subjects:
            AuditSubject.objects.bulk_create(subjects)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_sequence=numbers[-1], last_hash=previous_hash, count=head.count + len(events)
        )
    return events


def event_hash(fields: dict[str, Any], subjects: Sequence[str]) -> str:
    """The SHA-256 of an event's canonical content; `fields` holds `HASHED_FIELDS`."""
    content = {name: fields[name] for name in HASHED_FIELDS}
    content["occurred_at"] = _canonical_time(content["occurred_at"])
    content["detail"] = _canonical_json(content["detail"])
    content["subjects"] = sorted(subjects)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    count: int
    last_sequence: int
    last_hash: str
    problem: str = ""

    def in_words(self) -> str:
        if self.intact:
            return f"Audit chain intact: {self.count} events, last hash {self.last_hash}"
        return f"Audit chain broken {self.problem}"


def audit_chain_verify(*, chunk_size: int = 5000) -> ChainReport:
    """Walk the whole chain in order, recompute every hash and check every link and the head.

    Reads the events a chunk at a time, so memory stays flat however long the chain is.
    Sequence numbers may have gaps (PostgreSQL does not hand back the numbers of a rolled-back
    transaction), so order comes from the numbers and continuity from the hashes alone.
    """
    count, last_sequence, last_hash = 0, 0, GENESIS_HASH

    def broken(problem: str) -> ChainReport:
        return ChainReport(False, count, last_sequence, last_hash, problem)

    while True:
        for fields, subjects in _events_after(last_sequence, chunk_size):
            sequence = fields["sequence"]
            if fields["previous_hash"] != last_hash:
                follows = f"event {last_sequence}" if count else "the start of the chain"
                return broken(f"at event {sequence}: it does not follow {follows}")
            if event_hash(fields, subjects) != fields["hash"]:
                return broken(f"at event {sequence}: its content does not match its hash")
            count, last_sequence, last_hash = count + 1, sequence, fields["hash"]
        # Read the head only now: events appended while we walked are then on the chain too,
        # and the loop goes round again to check them.
        head = AuditChainHead.objects.filter(pk=1).first()
        if head is None:
            if count:
                return broken(
                    f"at the end: the chain ends at event {last_sequence} but has no head"
                )
            return ChainReport(True, 0, 0, GENESIS_HASH)
        if head.last_sequence > last_sequence:
            if AuditEvent.objects.filter(sequence__gt=last_sequence).exists():
                continue
            if not count:
                return broken(
                    f"at the end: there are no events but the head records {head.last_sequence}"
                )
            return broken(
                f"at the end: the chain ends at event {last_sequence} "
                f"but the head records {head.last_sequence}"
            )
        if head.last_sequence < last_sequence:
            return broken(
                f"at the end: the chain ends at event {last_sequence} "
                f"but the head records {head.last_sequence}"
            )
        if head.last_hash != last_hash:
            return broken(f"at event {last_sequence}: its hash is not the one the head records")
        if head.count != count:
            return broken(
                f"at the end: the chain has {count} events but the head counts {head.count}"
            )
        return ChainReport(True, count, last_sequence, last_hash)


def _events_after(sequence: int, chunk_size: int) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Events after `sequence`, in order, with their subject keys, read a chunk at a time."""
    names = (*HASHED_FIELDS, "hash")
    while True:
        chunk = list(
            AuditEvent.objects.filter(sequence__gt=sequence)
            .order_by("sequence")
            .values_list(*names)[:chunk_size]
        )
        if not chunk:
            return
        first, last = chunk[0][0], chunk[-1][0]
        subjects: dict[int, list[str]] = {}
        for event_id, key in AuditSubject.objects.filter(
            event_id__gte=first, event_id__lte=last
        ).values_list("event_id", "subject_key"):
            subjects.setdefault(event_id, []).append(key)
        for row in chunk:
            yield dict(zip(names, row, strict=True)), subjects.get(row[0], [])
        sequence = last


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # The first event ever (or the first after a flush). ignore_conflicts: another first
        # writer may be inserting the head at this moment; then we wait for it and lock theirs.
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    # Checked under the lock, so another writer's first events cannot be mistaken for this.
    if head.count == 0 and AuditEvent.objects.exists():
        raise AuditChainHeadMissing(
            "The audit chain has events but its head is missing; nothing more can be recorded "
            "until it is investigated (saferhub audit verify)."
        )
    return head


def _next_sequence_numbers(how_many: int, *, after: int) -> list[int]:
    # Writers take turns on the head's lock (and SQLite takes one writer at a time anyway),
    # so the head's number is the last one used; the events carry their numbers explicitly.
    return list(range(after + 1, after + 1 + how_many))


def _organisation_code(actor: User | None) -> str:
    if actor is None or actor.organisation_id is None:
        return ""
    return actor.organisation.code


def _check_length(name: str, value: str, limit: int) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters: {value!r}")


def _check_disclosure(d: Disclosure) -> None:
    if d.level not in LEVELS:
        raise ValueError(f"unknown level {d.level!r} for {d.record_type} {d.record_id}")
    if not isinstance(d.record_id, int):
        raise TypeError(f"record_id must be a whole number, not {d.record_id!r}")
    for name, limit in (
        ("record_type", 40),
        ("partnership_code", 60),
        ("owner_code", 60),
        ("basis", 40),
        ("protocol_code", 60),
    ):
        _check_length(name, getattr(d, name), limit)
    if isinstance(d.subjects, str):
        raise TypeError("subjects must be a tuple of subject keys, not one string")
    for key in d.subjects:
        _check_length("subject key", key, 64)


def _normalised_detail(detail: dict | None) -> dict:
    # As the database will give it back: dates as text, tuples as lists, and no NaN.
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise TypeError(f"detail must be a dict, not {type(detail).__name__}")
    return json.loads(json.dumps(detail, cls=DjangoJSONEncoder, allow_nan=False))


def _canonical_json(value: Any) -> Any:
    # PostgreSQL's jsonb keeps numbers as decimals: 1e20 comes back as an integer.
    # Whole floats are hashed as integers so that the round trip does not change the hash.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical_json(item) for item in value]
    return value


def _canonical_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
