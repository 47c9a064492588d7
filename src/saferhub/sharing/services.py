"""Changing Information Sharing Protocols."""

import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import ValidationError

from saferhub.partnerships.models import Organisation, Partnership, Role, Theme, User
from saferhub.partnerships.themes import ThemeBook
from saferhub.sharing.models import Protocol, ProtocolStatus, Purpose, Signatory

if TYPE_CHECKING:
    from saferhub.partnerships.partnership_file import ProtocolSpec
    from saferhub.partnerships.services import Changes

SIGNED_VIA_PARTNERSHIP_FILE = "partnership file"


def themes_of_partnership(partnership: Partnership) -> dict[str, Theme]:
    """Every theme a partnership can use: the standard list and its own extras, by code."""
    return ThemeBook.of(partnership).by_code


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


# Managing protocols in the hub's pages -------------------------------------------------------


class ProtocolError(Exception):
    """A protocol change the user may not make, or that the protocol's state does not allow.

    The message is plain English for the page; `field` names the form field it concerns, if any.
    """

    def __init__(self, message: str, *, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(message)


def protocol_create_draft(
    *,
    user: User,
    partnership: Partnership,
    code: str,
    title: str,
    effective_from: datetime.date,
    expires_on: datetime.date | None,
    review_by: datetime.date,
    signatories: list[Organisation],
    themes: list[Theme],
    level: str,
    audience: str,
    purposes: list[str],
    legal_basis: str,
    retention_months: int,
) -> Protocol:
    """Draft version 1 of a new protocol; its signatories have not signed it yet."""
    with transaction.atomic():
        _require_manager(user, partnership, "create a protocol")
        if Protocol.objects.filter(partnership=partnership, code=code).exists():
            raise ProtocolError(
                f"The partnership already has a protocol with the code {code}; "
                "issue a new version of it instead",
                field="code",
            )
        terms = _checked_terms(
            partnership=partnership,
            code=code,
            version=1,
            title=title,
            effective_from=effective_from,
            expires_on=expires_on,
            review_by=review_by,
            signatories=signatories,
            themes=themes,
            level=level,
            audience=audience,
            purposes=purposes,
            legal_basis=legal_basis,
            retention_months=retention_months,
        )
        try:
            # Another manager may have taken the code since the check above.
            with transaction.atomic():
                protocol = Protocol.objects.create(
                    partnership=partnership,
                    code=code,
                    version=1,
                    status=ProtocolStatus.DRAFT,
                    **_protocol_fields(terms),
                )
        except IntegrityError:
            raise ProtocolError(
                f"The partnership already has a protocol with the code {code}; "
                "issue a new version of it instead",
                field="code",
            ) from None
        protocol.themes.set(themes)
        Signatory.objects.bulk_create(
            Signatory(protocol=protocol, organisation=o) for o in signatories
        )
        _audit(user, "protocol_drafted", protocol, signatories=sorted(terms.signatories))
    return protocol


def protocol_update_draft(
    *,
    user: User,
    protocol: Protocol,
    title: str,
    effective_from: datetime.date,
    expires_on: datetime.date | None,
    review_by: datetime.date,
    signatories: list[Organisation],
    themes: list[Theme],
    level: str,
    audience: str,
    purposes: list[str],
    legal_basis: str,
    retention_months: int,
) -> list[str]:
    """Change a draft's terms; return the names of the fields that changed.

    Partners sign the terms as they stand, so any change clears the signatures given so far.
    """
    with transaction.atomic():
        protocol = _locked(protocol)
        _require_manager(user, protocol.partnership, "change a protocol")
        if protocol.status != ProtocolStatus.DRAFT:
            raise ProtocolError(
                f"Version {protocol.version} of {protocol.code} is "
                f"{protocol.get_status_display().lower()}: only a draft can be changed. "
                "Issue a new version to change its terms."
            )
        terms = _checked_terms(
            partnership=protocol.partnership,
            code=protocol.code,
            version=protocol.version,
            title=title,
            effective_from=effective_from,
            expires_on=expires_on,
            review_by=review_by,
            signatories=signatories,
            themes=themes,
            level=level,
            audience=audience,
            purposes=purposes,
            legal_basis=legal_basis,
            retention_months=retention_months,
        )
        changed = [
            name
            for name, value in _protocol_fields(terms).items()
            if getattr(protocol, name) != value
        ]
        for name, value in _protocol_fields(terms).items():
            setattr(protocol, name, value)
        if {t.id for t in protocol.themes.all()} != {t.id for t in themes}:
            changed.append("themes")
            protocol.themes.set(themes)
        current = {s.organisation_id: s for s in protocol.signings.all()}
        wanted = {o.id for o in signatories}
        if set(current) != wanted:
            changed.append("signatories")
            protocol.signings.exclude(organisation_id__in=wanted).delete()
            Signatory.objects.bulk_create(
                Signatory(protocol=protocol, organisation=o)
                for o in signatories
                if o.id not in current
            )
        if not changed:
            return []
        protocol.save()
        protocol.signings.update(signed_by=None, signed_at=None, signed_via="")
        # A purpose flag is a field of its own; name the purposes once in the audit trail.
        changed = list(dict.fromkeys("purposes" if n.startswith("for_") else n for n in changed))
        _audit(user, "protocol_draft_updated", protocol, changed=changed)
    return changed


def protocol_sign(*, user: User, protocol: Protocol) -> Signatory:
    """Record that the user signed a draft for their own organisation."""
    with transaction.atomic():
        protocol = _locked(protocol)
        _require_manager(user, protocol.partnership, "sign a protocol")
        if protocol.status != ProtocolStatus.DRAFT:
            raise ProtocolError(
                f"Version {protocol.version} of {protocol.code} is "
                f"{protocol.get_status_display().lower()}: only a draft is signed."
            )
        organisation = user.organisation
        signature = (
            protocol.signings.filter(organisation=organisation).first() if organisation else None
        )
        if signature is None:
            who = f"Your organisation, {organisation.name}," if organisation else "You"
            raise ProtocolError(
                f"{who} is not a signatory of this protocol. Only a manager of a signatory "
                "organisation can sign for it."
            )
        if is_signed(signature):
            raise ProtocolError(
                f"{organisation.name} has already signed version {protocol.version} of "
                f"{protocol.code}."
            )
        signature.signed_by = user
        signature.signed_at = timezone.now()
        signature.signed_via = ""
        signature.save(update_fields=["signed_by", "signed_at", "signed_via"])
        _audit(user, "protocol_signed", protocol, organisation=organisation.code)
    return signature


def _require_status(protocol: Protocol, status: str, action: str) -> None:
    """Refuse unless the protocol version is in `status` (only a draft can be activated...)."""
    if protocol.status != status:
        wanted = ProtocolStatus(status).label.lower()
        article = "an" if wanted[0] in "aeiou" else "a"
        noun = "" if status == ProtocolStatus.DRAFT else " protocol"
        raise ProtocolError(
            f"Version {protocol.version} of {protocol.code} is "
            f"{protocol.get_status_display().lower()}: only {article} {wanted}{noun} can be "
            f"{action}."
        )


def protocol_activate(*, user: User, protocol: Protocol) -> Protocol:
    """Bring a fully signed draft into force; it supersedes the older versions of its code."""
    from saferhub.partnerships.services import Changes

    with transaction.atomic():
        protocol = _locked(protocol)
        _require_manager(user, protocol.partnership, "activate a protocol")
        _require_status(protocol, ProtocolStatus.DRAFT, "activated")
        unsigned = sorted(
            s.organisation.name
            for s in protocol.signings.select_related("organisation")
            if not is_signed(s)
        )
        if unsigned:
            raise ProtocolError(
                f"Version {protocol.version} of {protocol.code} cannot be activated until "
                f"every signatory has signed it. Not signed yet: {_and_list(unsigned)}."
            )
        today = timezone.localdate()
        if protocol.expires_on is not None and protocol.expires_on < today:
            raise ProtocolError(
                f"Version {protocol.version} of {protocol.code} expired on "
                f"{protocol.expires_on.day} {protocol.expires_on:%B %Y}; change its dates "
                "before activating it."
            )
        protocol.status = ProtocolStatus.ACTIVE
        protocol.save(update_fields=["status", "updated_at"])
        superseded = list(
            Protocol.objects.filter(
                partnership=protocol.partnership, code=protocol.code, version__lt=protocol.version
            )
            .exclude(status__in=[ProtocolStatus.SUPERSEDED, ProtocolStatus.EXPIRED])
            .values_list("version", flat=True)
        )
        _supersede_older_versions(protocol, Changes())
        _audit(user, "protocol_activated", protocol, superseded_versions=sorted(superseded))
    return protocol


def protocol_suspend(*, user: User, protocol: Protocol, reason: str) -> Protocol:
    """Stop an active protocol sharing until it is reinstated; the reason is audited."""
    reason = reason.strip()
    with transaction.atomic():
        protocol = _locked(protocol)
        _require_manager(user, protocol.partnership, "suspend a protocol")
        if not reason:
            raise ProtocolError("Enter the reason for suspending the protocol", field="reason")
        _require_status(protocol, ProtocolStatus.ACTIVE, "suspended")
        protocol.status = ProtocolStatus.SUSPENDED
        protocol.save(update_fields=["status", "updated_at"])
        _audit(user, "protocol_suspended", protocol, reason=reason)
    return protocol


def protocol_reinstate(*, user: User, protocol: Protocol) -> Protocol:
    """Put a suspended protocol back in force, on the terms its signatories signed."""
    with transaction.atomic():
        protocol = _locked(protocol)
        _require_manager(user, protocol.partnership, "reinstate a protocol")
        _require_status(protocol, ProtocolStatus.SUSPENDED, "reinstated")
        protocol.status = ProtocolStatus.ACTIVE
        protocol.save(update_fields=["status", "updated_at"])
        _audit(user, "protocol_reinstated", protocol)
    return protocol


def protocol_new_version(*, user: User, protocol: Protocol) -> Protocol:
    """Draft the next version as a copy of this one, for its signatories to sign afresh.

    The version it copies goes on sharing until the new one is activated.
    """
    with transaction.atomic():
        protocol = _locked(protocol)
        _require_manager(user, protocol.partnership, "issue a new version of a protocol")
        if protocol.status not in (ProtocolStatus.ACTIVE, ProtocolStatus.SUSPENDED):
            raise ProtocolError(
                f"Version {protocol.version} of {protocol.code} is "
                f"{protocol.get_status_display().lower()}: a new version is issued from an "
                "active or suspended one."
            )
        newer = (
            Protocol.objects.filter(
                partnership=protocol.partnership, code=protocol.code, version__gt=protocol.version
            )
            .order_by("-version")
            .first()
        )
        if newer is not None:
            raise ProtocolError(
                f"Version {newer.version} of {protocol.code} already exists "
                f"({newer.get_status_display().lower()}); work on that one instead."
            )
        themes = list(protocol.themes.all())
        organisations = [s.organisation for s in protocol.signings.select_related("organisation")]
        draft = Protocol.objects.create(
            partnership=protocol.partnership,
            code=protocol.code,
            version=protocol.version + 1,
            status=ProtocolStatus.DRAFT,
            title=protocol.title,
            effective_from=protocol.effective_from,
            expires_on=protocol.expires_on,
            review_by=protocol.review_by,
            level=protocol.level,
            audience=protocol.audience,
            for_tasking=protocol.for_tasking,
            for_referral=protocol.for_referral,
            for_analysis=protocol.for_analysis,
            legal_basis=protocol.legal_basis,
            retention_months=protocol.retention_months,
        )
        draft.themes.set(themes)
        Signatory.objects.bulk_create(
            Signatory(protocol=draft, organisation=o) for o in organisations
        )
        _audit(user, "protocol_version_issued", draft, copied_from_version=protocol.version)
    return draft


def _require_manager(user: User, partnership: Partnership, doing: str) -> None:
    from saferhub.partnerships.selectors import roles_of_user

    if Role.MANAGER not in roles_of_user(user=user, partnership=partnership):
        raise ProtocolError(f"Only a manager of {partnership.name} can {doing}.")


def _locked(protocol: Protocol) -> Protocol:
    # Re-read the row under a lock, so two managers acting at once see each other's change.
    return (
        Protocol.objects.select_for_update(of=("self",))
        .select_related("partnership")
        .get(pk=protocol.pk)
    )


def is_signed(signature: Signatory) -> bool:
    """Signed in the hub, or recorded as signed by applying the partnership file."""
    return signature.signed_at is not None or bool(signature.signed_via)


def _and_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _checked_terms(
    *,
    partnership: Partnership,
    signatories: list[Organisation],
    themes: list[Theme],
    **terms: Any,
) -> "ProtocolSpec":
    """The terms as the partnership file would hold them, checked by the file's own rules.

    The form says what is wrong field by field; this guards every other caller.
    """
    from saferhub.partnerships.partnership_file import ProtocolSpec

    problems = []
    try:
        spec = ProtocolSpec.model_validate(
            {
                **terms,
                "status": ProtocolStatus.DRAFT.value,
                "signatories": [o.code for o in signatories],
                "themes": [t.code for t in themes],
            }
        )
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    else:
        members = set(partnership.organisations.values_list("code", flat=True))
        outsiders = sorted(set(spec.signatories) - members)
        if outsiders:
            problems.append(f"signatories: not members of the partnership: {', '.join(outsiders)}")
        unknown = sorted(set(spec.themes) - set(themes_of_partnership(partnership)))
        if unknown:
            problems.append(f"themes: not themes of the partnership: {', '.join(unknown)}")
        for name in ("signatories", "themes", "purposes"):
            values = getattr(spec, name)
            if len(set(values)) != len(values):
                problems.append(f"{name}: the same one is given twice")
        if spec.expires_on and spec.expires_on < spec.effective_from:
            problems.append("expires_on: before effective_from")
    if problems:
        raise ProtocolError("The protocol's terms are not valid: " + "; ".join(problems))
    return spec


def _protocol_fields(spec: "ProtocolSpec") -> dict[str, Any]:
    return {
        "title": spec.title,
        "effective_from": spec.effective_from,
        "expires_on": spec.expires_on,
        "review_by": spec.review_by,
        "level": spec.level,
        "audience": spec.audience,
        "legal_basis": spec.legal_basis,
        "retention_months": spec.retention_months,
        **{f"for_{p.value}": p.value in spec.purposes for p in Purpose},
    }


def _audit(user: User, action: str, protocol: Protocol, **detail: Any) -> None:
    # Imported here: the audit app may load after this one.
    from saferhub.audit.services import audit_record

    audit_record(
        actor=user,
        action=action,
        purpose="",
        disclosures=(),
        detail={
            "partnership": protocol.partnership.code,
            "protocol": protocol.code,
            "version": protocol.version,
            **detail,
        },
    )
