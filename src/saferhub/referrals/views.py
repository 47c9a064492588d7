"""Referral pages: the queues, sending a referral, and working one. Purpose `referral`."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from saferhub.hub.form_pages import errors_on_form, saved_through
from saferhub.incidents.models import Incident
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.referrals.forms import (
    AcceptForm,
    AssignForm,
    CompleteForm,
    ConsentWithdrawnForm,
    ContactForm,
    DeclineForm,
    ReferralFilterForm,
    ReferralForm,
    WithdrawForm,
)
from saferhub.referrals.models import Referral
from saferhub.referrals.presenters import referral_page, referral_rows, subject_summary
from saferhub.referrals.selectors import (
    ReferralFilters,
    own_incident,
    own_person_record,
    own_place_record,
    recipient_staff,
    referral_counts,
    referral_totals,
    referral_visible_to,
    referrals_received,
    referrals_sent,
    referrals_shared,
)
from saferhub.referrals.services import (
    ReferralInput,
    ReferralInvalid,
    allowed_steps,
    referral_accept,
    referral_assign,
    referral_complete,
    referral_consent_withdrawn,
    referral_contact_attempt,
    referral_decline,
    referral_reads_record,
    referral_send,
    referral_types_ensure,
    referral_withdraw,
)
from saferhub.sharing.engine import OWNER, RECIPIENT, reader_for, reader_in_partnership
from saferhub.sharing.models import Purpose

QUEUE_LIMIT = 200


def _reader(request: HttpRequest):
    return reader_in_partnership(reader_for(request.user, Purpose.REFERRAL), request.partnership.pk)


@partnership_member_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """Received, sent, and shared with the reader's organisation; overdue first."""
    partnership = request.partnership
    form = ReferralFilterForm(request.GET or None)
    filters = ReferralFilters()
    if form.is_bound and form.is_valid():
        filters = ReferralFilters(
            status=form.cleaned_data["status"] or None,
            overdue_only=form.cleaned_data["overdue"],
        )
    reader = _reader(request)
    sections = []
    shown = []
    for key, title, queue, side in (
        ("received", "Received", referrals_received, "owner"),
        ("sent", "Sent", referrals_sent, "recipient"),
        ("shared", "Shared with your organisation", referrals_shared, "both"),
    ):
        queryset = queue(reader, partnership, filters)
        rows = list(queryset[: QUEUE_LIMIT + 1])
        shown += rows[:QUEUE_LIMIT]
        sections.append(
            {
                "key": key,
                "title": title,
                "rows": referral_rows(rows[:QUEUE_LIMIT], side=side, now=reader.now),
                "more": len(rows) > QUEUE_LIMIT,
                "limit": QUEUE_LIMIT,
            }
        )
    shared = [r for r in shown if reader.organisation_id not in (r.owner_id, r.recipient_id)]
    referral_reads_record(reader=reader, referrals=shared)
    return render(
        request,
        "referrals/list.html",
        {
            "form": form,
            "sections": sections,
            "counts": referral_counts(reader, partnership),
            "totals": referral_totals(reader, partnership),
            "filtered": bool(filters.status or filters.overdue_only),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _subject(request: HttpRequest, ids: dict) -> tuple[str, list[str]]:
    """What the referral is about, and the themes to start from (an incident's own); Http404
    for anything but the user's own records."""
    organisation_id = request.user.organisation_id
    try:
        if ids["person_record"]:
            person = own_person_record(
                organisation_id=organisation_id, record_id=ids["person_record"]
            )
            return subject_summary(person=person), []
        if ids["place_record"]:
            place = own_place_record(organisation_id=organisation_id, record_id=ids["place_record"])
            return subject_summary(place=place), []
        if ids["incident"]:
            incident = own_incident(
                organisation_id=organisation_id,
                partnership=request.partnership,
                incident_id=ids["incident"],
            )
            return subject_summary(incident=incident), [t.code for t in incident.theme_list()]
    except (PersonRecord.DoesNotExist, PlaceRecord.DoesNotExist, Incident.DoesNotExist):
        raise Http404("No such record of yours") from None
    return "", []


@partnership_member_required
def referral_new(request: HttpRequest) -> HttpResponse:
    """Refer a person, place or incident (`?person=`, `?place=`, `?incident=`) of the user's
    own organisation to another partner."""
    partnership = request.partnership
    referral_types_ensure(partnership)
    source = request.POST if request.method == "POST" else request.GET
    ids = {
        "person_record": _number(source.get("person_record") or source.get("person")),
        "place_record": _number(source.get("place_record") or source.get("place")),
        "incident": _number(source.get("incident")),
    }
    subject, themes = _subject(request, ids)
    form = ReferralForm(
        request.POST if request.method == "POST" else None,
        initial={**ids, "themes": themes},
        partnership=partnership,
        user=request.user,
    )
    saved = saved_through(
        request,
        form,
        lambda data: referral_send(
            user=request.user,
            partnership=partnership,
            data=ReferralInput(
                recipient=data["recipient"],
                referral_type=data["referral_type"],
                themes=data["themes"],
                urgency=data["urgency"],
                reason=data["reason"],
                lawful_basis=data["lawful_basis"],
                person_record_id=ids["person_record"],
                place_record_id=ids["place_record"],
                incident_id=ids["incident"],
                protocol=data["protocol"],
                consent_given_by=data["consent_given_by"],
                consent_given_at=data["consent_given_at"],
                consent_given_how=data["consent_given_how"],
                consent_capacity_note=data["consent_capacity_note"],
                vital_interests_reason=data["vital_interests_reason"],
            ),
        ),
        refused=ReferralInvalid,
        success=lambda referral: f"Referral {referral.pk} is sent.",
        then=lambda referral: redirect(
            "referrals:detail", partnership_code=partnership.code, referral_id=referral.pk
        ),
    )
    return saved or render(
        request,
        "referrals/new.html",
        {"form": form, "subject": subject},
        status=422 if request.method == "POST" else 200,
    )


STEP_FORMS = {
    "accept": AcceptForm,
    "decline": DeclineForm,
    "contact": ContactForm,
    "complete": CompleteForm,
    "withdraw": WithdrawForm,
    "consent_withdrawn": ConsentWithdrawnForm,
}


def _referral_or_404(request: HttpRequest, reader, referral_id: int):
    try:
        referral, access = referral_visible_to(reader=reader, referral_id=referral_id)
    except Referral.DoesNotExist:
        raise Http404("No such referral") from None
    if referral.partnership_id != request.partnership.pk:
        raise Http404("No such referral")
    return referral, access


def _detail(request, reader, referral, access, *, bound=None, status=200) -> HttpResponse:
    steps = allowed_steps(request.user, referral)
    forms = {}
    for step in steps:
        if step == "assign":
            form = AssignForm(prefix=step, staff=recipient_staff(referral=referral))
        else:
            form = STEP_FORMS[step](prefix=step)
        forms[step] = form
    if bound is not None:
        forms[bound[0]] = bound[1]
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral_page(referral, access, reader.now),
            "why": _why(access),
            "steps": steps,
            "forms": forms,
            "errors": bound[1] if bound is not None and bound[1].errors else None,
        },
        status=status,
    )


def _why(access) -> str:
    """The 'Why can I see this?' answer, in a referral's words for its two parties."""
    if access.shared_under is None:
        return ""
    if access.shared_under.rule == OWNER:
        return "Your organisation sent this referral."
    if access.shared_under.rule == RECIPIENT:
        return "This referral was sent to your organisation."
    return access.shared_under.in_words()


@partnership_member_required
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    reader = _reader(request)
    referral, access = _referral_or_404(request, reader, referral_id)
    referral_reads_record(reader=reader, referrals=[referral])
    return _detail(request, reader, referral, access)


@require_POST
@partnership_member_required
def referral_step(request: HttpRequest, referral_id: int, step: str) -> HttpResponse:
    """Take one step (accept, decline, ...): the service decides whether this user may."""
    reader = _reader(request)
    referral, access = _referral_or_404(request, reader, referral_id)
    if step == "assign":
        form = AssignForm(request.POST, prefix=step, staff=recipient_staff(referral=referral))
    else:
        form = STEP_FORMS[step](request.POST, prefix=step)
    if not form.is_valid():
        return _detail(request, reader, referral, access, bound=(step, form), status=422)
    data = form.cleaned_data
    user = request.user
    try:
        if step == "accept":
            referral_accept(user=user, referral=referral)
        elif step == "decline":
            referral_decline(user=user, referral=referral, reason=data["reason"])
        elif step == "assign":
            staff = {str(u.pk): u for u in recipient_staff(referral=referral)}
            referral_assign(user=user, referral=referral, to_user=staff[data["assign_to"]])
        elif step == "contact":
            referral_contact_attempt(
                user=user, referral=referral, outcome=data["contact_outcome"], note=data["note"]
            )
        elif step == "complete":
            referral_complete(user=user, referral=referral, outcome=data["outcome"])
        elif step == "withdraw":
            referral_withdraw(user=user, referral=referral, reason=data["reason"])
        elif step == "consent_withdrawn":
            referral_consent_withdrawn(
                user=user, referral=referral, at=data["at"], note=data["note"]
            )
    except ReferralInvalid as exc:
        errors_on_form(form, exc.errors)
        referral, access = _referral_or_404(request, reader, referral_id)
        return _detail(request, reader, referral, access, bound=(step, form), status=422)
    messages.success(request, DONE[step])
    return redirect(
        "referrals:detail", partnership_code=request.partnership.code, referral_id=referral_id
    )


DONE = {
    "accept": "You accepted the referral.",
    "decline": "You declined the referral. The referrer has been told.",
    "assign": "The referral is assigned.",
    "contact": "The contact attempt is recorded.",
    "complete": "The referral is completed. The referrer has been told.",
    "withdraw": "You withdrew the referral. The organisation it was sent to has been told.",
    "consent_withdrawn": "The withdrawal of consent is recorded.",
}
