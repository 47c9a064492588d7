"""Audit events as the rows of the auditor's pages and of the subject access downloads."""

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.audit.selectors import organisation_names

# The columns of a disclosure history, in the CSV's order and as the JSON's keys.
DISCLOSURE_COLUMNS = (
    "event",
    "occurred_at",
    "user",
    "organisation",
    "organisation_name",
    "action",
    "purpose",
    "record_type",
    "record_id",
    "owner_organisation",
    "level",
    "basis",
    "protocol_code",
    "protocol_version",
)


def event_rows(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """Rows of the audit search's table."""
    events = list(events)
    names = organisation_names(
        {e.actor_organisation for e in events} | {e.owner_code for e in events}
    )
    return [
        {
            "sequence": e.sequence,
            "occurred_at": e.occurred_at,
            "user": e.actor_username or "The hub",
            "organisation": names.get(e.actor_organisation, e.actor_organisation),
            "action": e.action,
            "purpose": e.purpose,
            "record": f"{e.record_type} {e.record_id}" if e.record_type else "",
            "owner": names.get(e.owner_code, e.owner_code),
            "level": e.level,
            "shared_under": _shared_under(e),
            "detail": "; ".join(f"{key}: {_text(value)}" for key, value in e.detail.items()),
        }
        for e in events
    ]


def disclosure_rows(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """One person's disclosure history: the same rows for the page, the CSV and the JSON."""
    events = list(events)
    names = organisation_names({e.actor_organisation for e in events})
    return [
        {
            "event": e.sequence,
            "occurred_at": timezone.localtime(e.occurred_at),
            "user": e.actor_username,
            "organisation": e.actor_organisation,
            "organisation_name": names.get(e.actor_organisation, ""),
            "action": e.action,
            "purpose": e.purpose,
            "record_type": e.record_type,
            "record_id": e.record_id,
            "owner_organisation": e.owner_code,
            "level": e.level,
            "basis": e.basis,
            "protocol_code": e.protocol_code,
            "protocol_version": e.protocol_version,
        }
        for e in events
    ]


def disclosures_as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DISCLOSURE_COLUMNS)
    for row in rows:
        row = _as_text(row)
        writer.writerow([_spreadsheet_safe(row[column]) for column in DISCLOSURE_COLUMNS])
    return out.getvalue()


def disclosures_as_json(rows: list[dict[str, Any]], *, partnership_code: str, key: str) -> str:
    document = {
        "partnership": partnership_code,
        "subject_key": key,
        "produced_at": timezone.localtime().isoformat(timespec="seconds"),
        "events": [_as_text(row) for row in rows],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _as_text(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "occurred_at": row["occurred_at"].isoformat(timespec="seconds")}


def _shared_under(event: AuditEvent) -> str:
    if event.protocol_code:
        return f"{event.protocol_code} v{event.protocol_version}"
    return event.basis.replace("_", " ")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _spreadsheet_safe(value: Any) -> Any:
    # A cell starting with one of these runs as a formula when the file is opened in a
    # spreadsheet; a leading apostrophe makes it text. User names may start with + - or @.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
