"""Turning protocols into what the protocol pages show, so templates hold no logic."""

import datetime
from dataclasses import dataclass, field

from django.utils import dateformat, timezone

from saferhub.partnerships.models import Organisation, Role, Theme, User
from saferhub.partnerships.presenters import ProtocolInForce, protocols_in_force_rows
from saferhub.sharing.models import Level, Protocol, ProtocolStatus, Purpose
from saferhub.sharing.selectors import SharingCell
from saferhub.sharing.services import is_signed


def day_in_words(value: datetime.date) -> str:
    return dateformat.format(value, "j F Y")


@dataclass
class ProtocolRow(ProtocolInForce):
    shares_today: bool = False
    sharing: str = ""  # "Shares data today", or "Not sharing: " and why
    not_sharing_because: str = ""
    signed: str = ""  # "2 of 3 signed"


def not_sharing_because(protocol: Protocol, today: datetime.date) -> str:
    """Why a version shares nothing today, or "" when it shares."""
    if protocol.is_active_on(today):
        return ""
    if protocol.status == ProtocolStatus.ACTIVE and protocol.effective_from > today:
        return f"it starts on {day_in_words(protocol.effective_from)}"
    if protocol.status == ProtocolStatus.ACTIVE:
        return f"it expired on {day_in_words(protocol.expires_on)}"
    return {
        ProtocolStatus.DRAFT: "it is still a draft",
        ProtocolStatus.SUSPENDED: "it is suspended",
        ProtocolStatus.SUPERSEDED: "a newer version replaced it",
    }.get(protocol.status, "it has expired")


def sharing_in_words(protocol: Protocol, today: datetime.date) -> str:
    because = not_sharing_because(protocol, today)
    return f"Not sharing: {because}" if because else "Shares data today"


def protocol_rows(protocols: list[Protocol], today: datetime.date) -> list[ProtocolRow]:
    rows = []
    for base in protocols_in_force_rows(protocols, today):
        protocol = base.protocol
        signings = list(protocol.signings.all())
        rows.append(
            ProtocolRow(
                **vars(base),
                shares_today=protocol.is_active_on(today),
                sharing=sharing_in_words(protocol, today),
                not_sharing_because=not_sharing_because(protocol, today),
                signed=f"{sum(is_signed(s) for s in signings)} of {len(signings)} signed",
            )
        )
    return rows


def review_warnings(rows: list[ProtocolRow]) -> list[ProtocolRow]:
    """Protocols in force that are due for review soon or overdue, most pressing first."""
    return sorted(
        (row for row in rows if row.shares_today and row.review_due),
        key=lambda row: row.protocol.review_by,
    )


@dataclass
class SignatureRow:
    organisation: Organisation
    signed: bool
    text: str


def signature_rows(protocol: Protocol) -> list[SignatureRow]:
    rows = []
    for signature in sorted(protocol.signings.all(), key=lambda s: s.organisation.name):
        when = (
            dateformat.format(timezone.localtime(signature.signed_at), "j F Y, H:i")
            if signature.signed_at
            else ""
        )
        if signature.signed_via:
            text = f"Recorded from the {signature.signed_via}" + (f" on {when}" if when else "")
        elif signature.signed_at:
            by = signature.signed_by.get_full_name() if signature.signed_by else "a manager"
            text = f"Signed by {by} on {when}"
        else:
            text = "Not signed yet"
        rows.append(SignatureRow(signature.organisation, is_signed(signature), text))
    return rows


@dataclass
class ProtocolActions:
    """What the user may do to this version, so the page shows only buttons that work."""

    manager: bool = False
    sign_for: Organisation | None = None
    can_edit: bool = False
    can_activate: bool = False
    not_signed: list[str] = field(default_factory=list)
    can_suspend: bool = False
    can_reinstate: bool = False
    can_issue_new_version: bool = False
    newer: Protocol | None = None


def protocol_actions(
    protocol: Protocol, *, user: User, roles: set[str], versions: list[Protocol]
) -> ProtocolActions:
    newer = next((v for v in versions if v.version > protocol.version), None)
    if Role.MANAGER not in roles:
        return ProtocolActions(newer=newer)
    draft = protocol.status == ProtocolStatus.DRAFT
    signings = list(protocol.signings.all())
    own = next((s for s in signings if s.organisation_id == user.organisation_id), None)
    return ProtocolActions(
        manager=True,
        sign_for=own.organisation if draft and own and not is_signed(own) else None,
        can_edit=draft,
        can_activate=draft,
        not_signed=sorted(s.organisation.name for s in signings if not is_signed(s)),
        can_suspend=protocol.status == ProtocolStatus.ACTIVE,
        can_reinstate=protocol.status == ProtocolStatus.SUSPENDED,
        can_issue_new_version=newer is None
        and protocol.status in (ProtocolStatus.ACTIVE, ProtocolStatus.SUSPENDED),
        newer=newer,
    )


NOTHING_SHARED = "nothing shared"


def access_in_words(cell: SharingCell) -> str:
    """'depersonalised under fife-asb v1', or 'nothing shared'."""
    access = cell.access
    if access.level == Level.NONE:
        return NOTHING_SHARED
    basis = access.shared_under
    return f"{access.level} under {basis.protocol_code} v{basis.protocol_version}"


@dataclass
class SharingRow:
    theme: Theme
    cells: list[tuple[str, str]]  # (purpose, what is shared), one per purpose


@dataclass
class SharingTable:
    caption: str
    relevant_partner: bool
    purposes: list[str]
    rows: list[SharingRow]


def sharing_tables(
    cells: list[SharingCell], *, reader: Organisation, owner: Organisation
) -> list[SharingTable]:
    """Two tables, a row per theme and a column per purpose: with the reader named on the
    record as a relevant partner, and without."""
    purposes = [label for _, label in Purpose.choices]
    labels = dict(Purpose.choices)
    tables = []
    for relevant_partner in (True, False):
        by_theme: dict[Theme, dict[str, str]] = {}
        for cell in cells:
            if cell.relevant_partner == relevant_partner:
                by_theme.setdefault(cell.theme, {})[cell.purpose] = access_in_words(cell)
        named = "is named" if relevant_partner else "is not named"
        tables.append(
            SharingTable(
                caption=(
                    f"{reader.name} reading {owner.name}'s records, when {reader.name} "
                    f"{named} on the record as a relevant partner"
                ),
                relevant_partner=relevant_partner,
                purposes=purposes,
                rows=[
                    SharingRow(theme, [(labels[p], levels[p]) for p in Purpose.values])
                    for theme, levels in by_theme.items()
                ],
            )
        )
    return tables
