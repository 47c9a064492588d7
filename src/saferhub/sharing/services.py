"""Changing Information Sharing Protocols."""

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from saferhub.partnerships.models import Organisation, Partnership, Theme
from saferhub.sharing.models import Protocol, ProtocolStatus, Purpose, Signatory

if TYPE_CHECKING:
    from saferhub.partnerships.partnership_file import ProtocolSpec
    from saferhub.partnerships.services import Changes

SIGNED_VIA_PARTNERSHIP_FILE = "partnership file"


def themes_of_partnership(partnership: Partnership) -> dict[str, Theme]:
    """Every theme a partnership can use: the standard list and its own extras, by code."""
    themes = Theme.objects.filter(Q(partnership__isnull=True) | Q(partnership=partnership))
    return {theme.code: theme for theme in themes}


def protocols_apply_from_file(
    *,
    partnership: Partnership,
    protocols: "list[ProtocolSpec]",
    organisations: dict[str, Organisation],
    changes: "Changes",
) -> list[str]:
    """Bring each protocol in the file into force as written; return problems, if any.

    The same version is updated in place; a higher version supersedes the older ones; a
    lower version than the hub already holds is refused, because versions only move forward.
    Protocols absent from the file are left as they are (set `status: expired` to end one).
    """
    from saferhub.partnerships.services import sync_fields

    themes = themes_of_partnership(partnership)
    problems = []
    for index, spec in enumerate(protocols):
        label = f"protocol {spec.code} v{spec.version}"
        latest = (
            Protocol.objects.filter(partnership=partnership, code=spec.code)
            .order_by("-version")
            .first()
        )
        if latest is not None and spec.version < latest.version:
            problems.append(
                f"protocols[{index}].version: version {spec.version} is older than version "
                f"{latest.version} the hub already holds; versions only move forward"
            )
            continue
        desired = {
            "title": spec.title,
            "status": spec.status,
            "effective_from": spec.effective_from,
            "expires_on": spec.expires_on,
            "review_by": spec.review_by,
            "level": spec.level,
            "audience": spec.audience,
            "legal_basis": spec.legal_basis,
            "retention_months": spec.retention_months,
            **{f"for_{p.value}": p.value in spec.purposes for p in Purpose},
        }
        if latest is not None and latest.version == spec.version:
            protocol = latest
            sync_fields(protocol, desired, label, changes)
        else:
            changes.add(f"+ {label}: {spec.title} ({spec.status})")
            protocol = Protocol.objects.create(
                partnership=partnership, code=spec.code, version=spec.version, **desired
            )
        _sync_themes(protocol, [themes[code] for code in spec.themes], label, changes)
        _sync_signatories(
            protocol, [organisations[code] for code in spec.signatories], label, changes
        )
        if protocol.status == ProtocolStatus.ACTIVE:
            _supersede_older_versions(protocol, changes)
    return problems


def _supersede_older_versions(protocol: Protocol, changes: "Changes") -> None:
    """A version in force retires the versions before it; a draft of a new version does
    not, so the old one goes on sharing until the new one is active."""
    older = Protocol.objects.filter(
        partnership=protocol.partnership, code=protocol.code, version__lt=protocol.version
    ).exclude(status__in=[ProtocolStatus.SUPERSEDED, ProtocolStatus.EXPIRED])
    for old in older:
        changes.add(f"~ protocol {old.code} v{old.version}: superseded by v{protocol.version}")
    older.update(status=ProtocolStatus.SUPERSEDED)


def _sync_themes(protocol: Protocol, wanted: list[Theme], label: str, changes: "Changes") -> None:
    current = set(protocol.themes.all())
    for theme in sorted(set(wanted) - current, key=lambda t: t.code):
        changes.add(f"+ {label}: theme {theme.code}")
    for theme in sorted(current - set(wanted), key=lambda t: t.code):
        changes.add(f"- {label}: theme {theme.code}")
    if current != set(wanted):
        protocol.themes.set(wanted)


def _sync_signatories(
    protocol: Protocol, wanted: list[Organisation], label: str, changes: "Changes"
) -> None:
    current = {s.organisation: s for s in protocol.signings.select_related("organisation")}
    for organisation in wanted:
        if organisation not in current:
            changes.add(f"+ {label}: signatory {organisation.code}")
            Signatory.objects.create(
                protocol=protocol,
                organisation=organisation,
                signed_at=timezone.now(),
                signed_via=SIGNED_VIA_PARTNERSHIP_FILE,
            )
    for organisation, signature in current.items():
        if organisation not in wanted:
            changes.add(f"- {label}: signatory {organisation.code}")
            signature.delete()
