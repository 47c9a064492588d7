"""The protocol pages: every member reads them; a partnership's managers change protocols."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from saferhub.incidents import services as incident_services
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import Role
from saferhub.partnerships.selectors import protocols_of_partnership
from saferhub.sharing import services
from saferhub.sharing.forms import ProtocolForm, SuspendForm, WhatCanTheySeeForm
from saferhub.sharing.models import Protocol, ProtocolStatus
from saferhub.sharing.presenters import (
    protocol_actions,
    protocol_rows,
    review_warnings,
    sharing_in_words,
    sharing_tables,
    signature_rows,
)
from saferhub.sharing.selectors import (
    emergency_disclosures_for_review,
    protocol_of_partnership,
    sharing_between_organisations,
    versions_of_protocol,
)
from saferhub.sharing.services import ProtocolError


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let in the partnership's managers. Other members get 403 and a page saying why:
    they may read protocols, so the partnership is no secret from them."""

    @partnership_member_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if Role.MANAGER not in request.roles:
            return render(request, "sharing/managers_only.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


def _protocol_or_404(request: HttpRequest, protocol_code: str, version: int) -> Protocol:
    try:
        return protocol_of_partnership(
            partnership=request.partnership, code=protocol_code, version=version
        )
    except Protocol.DoesNotExist:
        raise Http404("No such protocol") from None


def _to_protocol(protocol: Protocol) -> HttpResponse:
    return redirect(
        "sharing:protocol",
        partnership_code=protocol.partnership.code,
        protocol_code=protocol.code,
        version=protocol.version,
    )


def _protocol_page(
    request: HttpRequest,
    protocol: Protocol,
    *,
    suspend_form: SuspendForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    versions = versions_of_protocol(partnership=request.partnership, code=protocol.code)
    return render(
        request,
        "sharing/protocol.html",
        {
            "row": protocol_rows([protocol], today)[0],
            "protocol": protocol,
            "today": today,
            "version_rows": protocol_rows(versions, today),
            "signatures": signature_rows(protocol),
            "actions": protocol_actions(
                protocol, user=request.user, roles=request.roles, versions=versions
            ),
            "suspend_form": suspend_form or SuspendForm(),
            "problem": problem,
        },
        status=status,
    )


@partnership_member_required
def protocols(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = protocol_rows(protocols_of_partnership(partnership=request.partnership), today)
    manager = Role.MANAGER in request.roles
    return render(
        request,
        "sharing/protocols.html",
        {
            "rows": rows,
            "today": today,
            "manager": manager,
            "review_warnings": review_warnings(rows) if manager else [],
        },
    )


@partnership_member_required
def protocol(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    return _protocol_page(request, _protocol_or_404(request, protocol_code, version))


@manager_required
def protocol_create(request: HttpRequest) -> HttpResponse:
    form = ProtocolForm(
        request.POST if request.method == "POST" else None, partnership=request.partnership
    )
    if form.is_valid():
        try:
            protocol = services.protocol_create_draft(
                user=request.user, partnership=request.partnership, **form.cleaned_data
            )
        except ProtocolError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                f"Version 1 of {protocol.code} is drafted. Each signatory's manager signs it "
                "on this page; then it can be activated.",
            )
            return _to_protocol(protocol)
    return render(
        request,
        "sharing/protocol_form.html",
        {"form": form, "protocol": None},
        status=422 if form.is_bound else 200,
    )


@manager_required
def protocol_edit(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    protocol = _protocol_or_404(request, protocol_code, version)
    if protocol.status != ProtocolStatus.DRAFT:
        messages.error(
            request,
            f"Version {protocol.version} is {protocol.get_status_display().lower()}: only a "
            "draft can be changed. Issue a new version to change its terms.",
        )
        return _to_protocol(protocol)
    form = ProtocolForm(
        request.POST if request.method == "POST" else None,
        partnership=request.partnership,
        protocol=protocol,
    )
    if form.is_valid():
        try:
            changed = services.protocol_update_draft(
                user=request.user, protocol=protocol, **form.cleaned_data
            )
        except ProtocolError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                "The draft is saved. Signatures given before the change are cleared: "
                "partners sign the terms as they now stand."
                if changed
                else "Nothing was changed.",
            )
            return _to_protocol(protocol)
    return render(
        request,
        "sharing/protocol_form.html",
        {"form": form, "protocol": protocol},
        status=422 if form.is_bound else 200,
    )


@require_POST
@manager_required
def protocol_sign(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    protocol = _protocol_or_404(request, protocol_code, version)
    try:
        signature = services.protocol_sign(user=request.user, protocol=protocol)
    except ProtocolError as error:
        return _protocol_page(request, protocol, problem=error.message, status=422)
    messages.success(
        request,
        f"You signed version {protocol.version} of {protocol.code} for "
        f"{signature.organisation.name}.",
    )
    return _to_protocol(protocol)


@require_POST
@manager_required
def protocol_activate(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    protocol = _protocol_or_404(request, protocol_code, version)
    try:
        protocol = services.protocol_activate(user=request.user, protocol=protocol)
    except ProtocolError as error:
        return _protocol_page(request, protocol, problem=error.message, status=422)
    older = " Older versions are superseded." if protocol.version > 1 else ""
    messages.success(
        request,
        f"Version {protocol.version} of {protocol.code} is active. "
        f"{sharing_in_words(protocol, timezone.localdate())}.{older}",
    )
    return _to_protocol(protocol)


@require_POST
@manager_required
def protocol_suspend(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    protocol = _protocol_or_404(request, protocol_code, version)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        return _protocol_page(request, protocol, suspend_form=form, status=422)
    reason = form.cleaned_data["reason"]
    try:
        services.protocol_suspend(user=request.user, protocol=protocol, reason=reason)
    except ProtocolError as error:
        return _protocol_page(request, protocol, problem=error.message, status=422)
    messages.success(
        request,
        f"Version {protocol.version} of {protocol.code} is suspended and shares nothing until "
        f"it is reinstated. Reason given: {reason}",
    )
    return _to_protocol(protocol)


@require_POST
@manager_required
def protocol_reinstate(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    protocol = _protocol_or_404(request, protocol_code, version)
    try:
        services.protocol_reinstate(user=request.user, protocol=protocol)
    except ProtocolError as error:
        return _protocol_page(request, protocol, problem=error.message, status=422)
    messages.success(request, f"Version {protocol.version} of {protocol.code} is active again.")
    return _to_protocol(protocol)


@require_POST
@manager_required
def protocol_new_version(request: HttpRequest, protocol_code: str, version: int) -> HttpResponse:
    protocol = _protocol_or_404(request, protocol_code, version)
    try:
        draft = services.protocol_new_version(user=request.user, protocol=protocol)
    except ProtocolError as error:
        return _protocol_page(request, protocol, problem=error.message, status=422)
    messages.success(
        request,
        f"Version {draft.version} is a draft copy of version {protocol.version}; version "
        f"{protocol.version} goes on sharing until version {draft.version} is activated. "
        "Change what needs changing, then each signatory signs it.",
    )
    return redirect(
        "sharing:protocol-edit",
        partnership_code=draft.partnership.code,
        protocol_code=draft.code,
        version=draft.version,
    )


@manager_required
def what_can_they_see(request: HttpRequest) -> HttpResponse:
    """What one member organisation may see of another's records, theme by purpose, and why."""
    form = WhatCanTheySeeForm(request.GET or None, partnership=request.partnership)
    context: dict = {"form": form, "today": timezone.localdate()}
    if form.is_valid():
        reader, owner = form.cleaned_data["reader"], form.cleaned_data["owner"]
        context.update(reader=reader, owner=owner, own_records=reader == owner)
        if reader != owner:
            cells = sharing_between_organisations(
                partnership=request.partnership, reader=reader, owner=owner, day=context["today"]
            )
            context["tables"] = sharing_tables(cells, reader=reader, owner=owner)
    status = 422 if form.is_bound and not form.is_valid() else 200
    return render(request, "sharing/what_can_they_see.html", context, status=status)


def data_protection_lead_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Members of the partnership without the data protection lead role are told so."""

    @partnership_member_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if Role.DATA_PROTECTION_LEAD not in request.roles:
            return render(request, "sharing/data_protection_leads_only.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


@data_protection_lead_required
def emergency_disclosures(request: HttpRequest) -> HttpResponse:
    """The review queue: emergency disclosures of the lead's organisation's records."""
    pending, reviewed = emergency_disclosures_for_review(
        user=request.user, partnership=request.partnership
    )
    return render(
        request,
        "sharing/emergency_disclosures.html",
        {"pending": pending, "reviewed": reviewed},
    )


@require_POST
@data_protection_lead_required
def emergency_disclosure_review(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    pending, _ = emergency_disclosures_for_review(
        user=request.user, partnership=request.partnership
    )
    disclosure = next((d for d in pending if d.pk == disclosure_id), None)
    if disclosure is None:
        raise Http404("No such emergency disclosure waiting for your review")
    approve = request.POST.get("decision") == "approve"
    try:
        incident_services.emergency_disclosure_review(
            user=request.user,
            disclosure=disclosure,
            approve=approve,
            note=request.POST.get("note", ""),
        )
    except incident_services.EmergencyRefused as exc:
        pending, reviewed = emergency_disclosures_for_review(
            user=request.user, partnership=request.partnership
        )
        return render(
            request,
            "sharing/emergency_disclosures.html",
            {
                "pending": pending,
                "reviewed": reviewed,
                "error": str(exc),
                "error_for": disclosure_id,
            },
            status=422,
        )
    messages.success(
        request,
        "Approved." if approve else "Flagged for follow-up. The note is kept with the disclosure.",
    )
    return redirect("sharing:emergency-disclosures", partnership_code=request.partnership.code)
