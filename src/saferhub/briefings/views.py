import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from saferhub.actions.services import ActionInput, ActionInvalid
from saferhub.briefings.forms import BriefingPickForm, NotesForm, TaskForm
from saferhub.briefings.models import Briefing, MadeBy
from saferhub.briefings.presenters import ROLE_HEADINGS, theme_chart, window_text
from saferhub.briefings.selectors import (
    briefing_for_reader,
    briefing_reader,
    briefings_visible_to,
)
from saferhub.briefings.services import (
    BriefingInvalid,
    briefing_make,
    briefing_notes_save,
    briefing_publish,
    briefing_reads_record,
    briefing_task_add,
)
from saferhub.hub.form_pages import errors_on_form, saved_through
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import Role


def _is_coordinator(request: HttpRequest) -> bool:
    return Role.COORDINATOR in request.roles


def _detail_url(briefing: Briefing) -> str:
    url = reverse(
        "briefings:detail",
        kwargs={"partnership_code": briefing.partnership.code, "day": f"{briefing.for_date}"},
    )
    return f"{url}?{urlencode({'area': briefing.area})}" if briefing.area else url


def _briefing_or_404(request: HttpRequest, day: str, area: str) -> Briefing:
    """The briefing of this page's partnership, date and area if the user may open it: a
    draft is for coordinators only, and anyone else is told there is no such briefing."""
    try:
        for_date = datetime.date.fromisoformat(day)
    except ValueError:
        raise Http404("No such briefing") from None
    found = (
        briefings_visible_to(request.user, request.partnership.pk)
        .filter(for_date=for_date, area=(area or "").strip().upper())
        .select_related("partnership", "published_by")
        .first()
    )
    if found is None:
        raise Http404("No such briefing")
    return found


@partnership_member_required
def briefing_today(request: HttpRequest) -> HttpResponse:
    """Today's briefing for the partnership, or the form to pick another day and area."""
    partnership = request.partnership
    form = BriefingPickForm(request.GET or None, partnership=partnership)
    if form.is_bound:
        if not form.is_valid():
            return _today_page(request, form, status=422)
        chosen = {"for_date": form.cleaned_data["date"], "area": form.cleaned_data["area"]}
        if briefings_visible_to(request.user, partnership.pk).filter(**chosen).exists():
            return redirect(_detail_url(Briefing(partnership=partnership, **chosen)))
        # None to open: say so, and offer coordinators to make it.
        make_form = BriefingPickForm(
            prefix="make",
            partnership=partnership,
            initial={"date": chosen["for_date"].strftime("%d/%m/%Y"), "area": chosen["area"]},
        )
        return _today_page(request, form, make_form, missing=chosen["for_date"])
    today = timezone.localdate()
    briefing = (
        briefings_visible_to(request.user, partnership.pk)
        .filter(for_date=today, area="")
        .select_related("partnership", "published_by")
        .first()
    )
    if briefing is not None:
        return _detail_page(request, briefing)
    return _today_page(request, form)


def _today_page(
    request: HttpRequest,
    form: BriefingPickForm,
    make_form: BriefingPickForm | None = None,
    status: int = 200,
    missing: datetime.date | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    partnership = request.partnership
    return render(
        request,
        "briefings/today.html",
        {
            "form": form,
            "make_form": make_form or BriefingPickForm(prefix="make", partnership=partnership),
            "today": today,
            "today_iso": today.isoformat(),
            "missing": missing,
            "can_make": _is_coordinator(request),
            "recent": briefings_visible_to(request.user, request.partnership.pk)[:14],
        },
        status=status,
    )


@require_POST
@partnership_member_required
def briefing_make_now(request: HttpRequest) -> HttpResponse:
    """Make a briefing from the page ("Make it now"): coordinators only. Making one is
    quick (what each reader sees is built when they open it), so no progress is needed."""
    if not _is_coordinator(request):
        raise Http404("No such page")
    pick = BriefingPickForm(partnership=request.partnership)
    form = BriefingPickForm(request.POST, prefix="make", partnership=request.partnership)
    if not form.is_valid():
        return _today_page(request, pick, form, status=422)
    try:
        briefing = briefing_make(
            partnership=request.partnership,
            for_date=form.cleaned_data["date"],
            area=form.cleaned_data["area"],
            made_by=MadeBy.PAGE,
            user=request.user,
        )
    except BriefingInvalid as exc:
        errors_on_form(form, exc.errors)
        return _today_page(request, pick, form, status=422)
    messages.success(request, "The briefing is made. Add notes and tasks, then publish it.")
    return redirect(_detail_url(briefing))


@partnership_member_required
def briefing_detail(request: HttpRequest, day: str) -> HttpResponse:
    briefing = _briefing_or_404(request, day, request.GET.get("area", ""))
    return _detail_page(request, briefing)


def _detail_page(
    request: HttpRequest,
    briefing: Briefing,
    *,
    notes_form: NotesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    reader = briefing_reader(request.user, briefing)
    content = briefing_for_reader(reader, briefing)
    briefing_reads_record(
        reader=reader,
        briefing=briefing,
        incidents=content.shown_incidents,
        referrals=content.shown_referrals,
        actions=content.shown_actions,
    )
    coordinator = _is_coordinator(request)
    return render(
        request,
        "briefings/detail.html",
        {
            **_content_context(content),
            "is_coordinator": coordinator,
            "notes_form": notes_form
            or (NotesForm(initial={"notes": briefing.notes}) if coordinator else None),
            "form": notes_form,
            "detail_url": _detail_url(briefing),
            "area_query": urlencode({"area": briefing.area}) if briefing.area else "",
        },
        status=status,
    )


def _content_context(content) -> dict:
    return {
        "briefing": content.briefing,
        "content": content,
        "window": window_text(content),
        "chart": theme_chart(content.by_theme),
        "repeat_people": [
            (heading, content.repeat_people.get(role, []))
            for role, heading in ROLE_HEADINGS.items()
        ],
    }


@partnership_member_required
def briefing_pdf(request: HttpRequest, day: str) -> HttpResponse:
    """The reader's version as a PDF; the download is written to the audit trail."""
    from django.template.loader import render_to_string
    from weasyprint import HTML  # a heavy import, only for this page

    briefing = _briefing_or_404(request, day, request.GET.get("area", ""))
    reader = briefing_reader(request.user, briefing)
    content = briefing_for_reader(reader, briefing)
    briefing_reads_record(
        reader=reader,
        briefing=briefing,
        incidents=content.shown_incidents,
        referrals=content.shown_referrals,
        actions=content.shown_actions,
        action="briefing pdf",
    )
    html = render_to_string("briefings/print.html", _content_context(content), request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    suffix = f"-{briefing.area}" if briefing.area else ""
    response["Content-Disposition"] = (
        f'attachment; filename="briefing-{briefing.partnership.code}-{briefing.for_date}'
        f'{suffix}.pdf"'
    )
    return response


def _coordinator_briefing(request: HttpRequest, day: str) -> Briefing:
    if not _is_coordinator(request):
        raise Http404("No such page")
    return _briefing_or_404(request, day, request.GET.get("area", ""))


@require_POST
@partnership_member_required
def briefing_notes(request: HttpRequest, day: str) -> HttpResponse:
    briefing = _coordinator_briefing(request, day)
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            briefing_notes_save(
                user=request.user, briefing=briefing, notes=form.cleaned_data["notes"]
            )
        except BriefingInvalid as exc:
            form.add_error("notes", exc.errors.get("notes") or str(exc))
        else:
            messages.success(request, "The notes are saved.")
            return redirect(_detail_url(briefing))
    return _detail_page(request, briefing, notes_form=form, status=422)


@partnership_member_required
def briefing_task_new(request: HttpRequest, day: str) -> HttpResponse:
    """Set one of the day's tasks: an action for a member organisation."""
    briefing = _coordinator_briefing(request, day)
    form = TaskForm(request.POST or None, partnership=request.partnership)
    saved = saved_through(
        request,
        form,
        lambda data: briefing_task_add(
            user=request.user,
            briefing=briefing,
            data=ActionInput(
                title=data["title"],
                detail=data["detail"],
                assignee_organisation=data["assignee_organisation"],
                due_on=data["due_on"],
                themes=list(data["themes"]),
            ),
        ),
        refused=(ActionInvalid, BriefingInvalid),
        success="The task is set and the organisation is told.",
        then=lambda _: redirect(_detail_url(briefing)),
    )
    return saved or render(
        request,
        "briefings/task_new.html",
        {"form": form, "briefing": briefing, "detail_url": _detail_url(briefing)},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@partnership_member_required
def briefing_publish_now(request: HttpRequest, day: str) -> HttpResponse:
    briefing = _coordinator_briefing(request, day)
    briefing_publish(user=request.user, briefing=briefing)
    messages.success(request, "The briefing is published and its readers are emailed a link.")
    return redirect(_detail_url(briefing))
