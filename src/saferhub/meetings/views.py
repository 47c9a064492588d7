"""The meeting pages. Everyone who may open a meeting sees its items as their own
organisation's pack shows them; coordinators also get the forms that change it."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from saferhub.actions.services import ActionInput
from saferhub.hub.form_pages import saved_through
from saferhub.meetings.forms import (
    ActionForm,
    AttendanceForm,
    DiscussionForm,
    ItemForm,
    MeetingForm,
    MinutesForm,
)
from saferhub.meetings.models import Meeting, MeetingStatus
from saferhub.meetings.packs import (
    Pack,
    pack_disclosures_record,
    pack_for_organisation,
    pack_pdf,
)
from saferhub.meetings.presenters import form_fields, meeting_page, meeting_rows
from saferhub.meetings.selectors import (
    item_of_meeting,
    meeting_visible_to,
    meetings_split,
    meetings_visible_to,
    member_organisations,
    partnership_people,
)
from saferhub.meetings.services import (
    MeetingInput,
    MeetingInvalid,
    agenda_item_add,
    agenda_item_move,
    agenda_item_remove,
    agenda_propose,
    attendance_record,
    item_action_add,
    item_discussion_record,
    meeting_close,
    meeting_mark_held,
    meeting_schedule,
    minutes_save,
    packs_issue,
)
from saferhub.partnerships.decorators import partnership_member_required
from saferhub.partnerships.models import ROLES_THAT_SEE_PERSONAL_DATA, Role
from saferhub.partnerships.themes import ThemeBook


def _posted(request: HttpRequest):
    # An empty POST is still a submission: `request.POST or None` would show a blank form.
    return request.POST if request.method == "POST" else None


def _coordinator(request: HttpRequest) -> bool:
    return Role.COORDINATOR in request.roles


def _meeting_or_404(request: HttpRequest, meeting_id: int) -> Meeting:
    if request.user.organisation_id is None:
        # A meeting is seen through an organisation's pack: no organisation, no meeting.
        raise Http404("No such meeting")
    try:
        return meeting_visible_to(
            user=request.user, partnership=request.partnership, meeting_id=meeting_id
        )
    except Meeting.DoesNotExist:
        raise Http404("No such meeting") from None


def _coordinator_meeting_or_404(request: HttpRequest, meeting_id: int) -> Meeting:
    """Pages that change a meeting exist only for coordinators."""
    if not _coordinator(request):
        raise Http404("No such page")
    return _meeting_or_404(request, meeting_id)


def _pack_of_viewer(request: HttpRequest, meeting: Meeting) -> Pack:
    return pack_for_organisation(
        meeting,
        request.user.organisation,
        shows_people=bool(request.roles & ROLES_THAT_SEE_PERSONAL_DATA),
    )


def _organisation_choices(partnership) -> list[tuple[str, str]]:
    return [(o.code, o.name) for o in member_organisations(partnership=partnership)]


def _form_page(request, *, form, meeting, heading, button, item=None, status=200):
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "fields": form_fields(form),
            "meeting": meeting,
            "heading": heading,
            "button": button,
            "item": item,
        },
        status=status,
    )


@partnership_member_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    visible = meetings_visible_to(user=request.user, partnership=request.partnership)
    upcoming, past = meetings_split(visible)
    return render(
        request,
        "meetings/list.html",
        {
            "upcoming": meeting_rows(upcoming),
            "past": meeting_rows(past),
            "can_schedule": _coordinator(request),
        },
    )


@partnership_member_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    if not _coordinator(request):
        raise Http404("No such page")
    partnership = request.partnership
    people = [
        (u.username, f"{u.name or u.username}, {u.organisation.name if u.organisation else ''}")
        for u in partnership_people(partnership=partnership)
    ]
    form = MeetingForm(
        _posted(request),
        organisations=_organisation_choices(partnership),
        people=people,
    )
    saved = saved_through(
        request,
        form,
        lambda data: meeting_schedule(
            user=request.user, partnership=partnership, data=MeetingInput(**data)
        ),
        refused=MeetingInvalid,
        success="The meeting is scheduled.",
        then=lambda meeting: redirect(
            "meetings:detail", partnership_code=partnership.code, meeting_id=meeting.pk
        ),
    )
    return saved or _form_page(
        request,
        form=form,
        meeting=None,
        heading="Schedule a meeting",
        button="Schedule the meeting",
        status=422 if request.method == "POST" else 200,
    )


@partnership_member_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(request, meeting_id)
    pack = _pack_of_viewer(request, meeting)
    if pack.disclosures:
        pack_disclosures_record(actor=request.user, pack=pack, action="meeting agenda")
    coordinator = _coordinator(request)
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting_page(meeting),
            "pack": pack,
            "coordinator": coordinator and meeting.status != MeetingStatus.CLOSED,
            "is_coordinator": coordinator,
            "attendance_form": AttendanceForm(
                organisations=_organisation_choices(meeting.partnership),
                auto_id="attendance_%s",
            ),
            "minutes_form": MinutesForm(initial={"minutes": meeting.minutes}),
        },
    )


@partnership_member_required
def meeting_propose(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    if request.method == "POST":
        try:
            added = agenda_propose(user=request.user, meeting=meeting)
        except MeetingInvalid as exc:
            messages.error(request, " ".join(exc.errors.values()))
        else:
            messages.success(
                request,
                f"{len(added)} item{'s' if len(added) != 1 else ''} proposed from the data."
                if added
                else "The data suggests nothing new.",
            )
    return _back(meeting)


def _back(meeting: Meeting, anchor: str = ""):
    response = redirect(
        "meetings:detail", partnership_code=meeting.partnership.code, meeting_id=meeting.pk
    )
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@partnership_member_required
def item_new(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    form = ItemForm(_posted(request), organisations=_organisation_choices(meeting.partnership))
    saved = saved_through(
        request,
        form,
        lambda data: agenda_item_add(user=request.user, meeting=meeting, **data),
        refused=MeetingInvalid,
        success="The item is on the agenda.",
        then=lambda _: _back(meeting, "agenda"),
    )
    return saved or _form_page(
        request,
        form=form,
        meeting=meeting,
        heading="Add an item to the agenda",
        button="Add the item",
        status=422 if request.method == "POST" else 200,
    )


def _item_seen_or_404(request: HttpRequest, meeting: Meeting, item_id: int):
    """The item and how the viewer's organisation sees it; 404 when it is not in their pack."""
    pack = _pack_of_viewer(request, meeting)
    seen = next((i for i in pack.items if i.item_id == item_id), None)
    if seen is None:
        raise Http404("No such item")
    return item_of_meeting(meeting=meeting, item_id=item_id), seen


@partnership_member_required
def item_change(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    """Move an item up or down, or take it off the agenda."""
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    item, _ = _item_seen_or_404(request, meeting, item_id)
    if request.method == "POST":
        try:
            if request.POST.get("change") == "remove":
                agenda_item_remove(user=request.user, item=item)
                messages.success(request, "The item is off the agenda.")
            elif request.POST.get("change") in ("up", "down"):
                agenda_item_move(user=request.user, item=item, up=request.POST["change"] == "up")
        except MeetingInvalid as exc:
            messages.error(request, " ".join(exc.errors.values()))
    return _back(meeting, "agenda")


@partnership_member_required
def item_discussion(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    item, seen = _item_seen_or_404(request, meeting, item_id)
    initial = {"discussion": item.discussion, "decision": item.decision}
    form = DiscussionForm(_posted(request), initial=initial)
    saved = saved_through(
        request,
        form,
        lambda data: item_discussion_record(user=request.user, item=item, **data),
        refused=MeetingInvalid,
        success="The discussion and decision are recorded.",
        then=lambda _: _back(meeting, f"item-{item.pk}"),
    )
    return saved or _form_page(
        request,
        form=form,
        meeting=meeting,
        item=seen,
        heading="Record the discussion and decision",
        button="Save",
        status=422 if request.method == "POST" else 200,
    )


@partnership_member_required
def item_action(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    item, seen = _item_seen_or_404(request, meeting, item_id)
    book = ThemeBook.of(meeting.partnership)
    form = ActionForm(
        _posted(request),
        organisations=_organisation_choices(meeting.partnership),
        themes=sorted(((t.code, t.name) for t in book.by_code.values()), key=lambda c: c[1]),
    )
    saved = saved_through(
        request,
        form,
        lambda data: item_action_add(user=request.user, item=item, data=ActionInput(**data)),
        refused=MeetingInvalid,
        success="The action is agreed and sent to the organisation.",
        then=lambda _: _back(meeting, "actions"),
    )
    return saved or _form_page(
        request,
        form=form,
        meeting=meeting,
        item=seen,
        heading="Agree an action",
        button="Agree the action",
        status=422 if request.method == "POST" else 200,
    )


@partnership_member_required
def meeting_attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    form = AttendanceForm(
        _posted(request), organisations=_organisation_choices(meeting.partnership)
    )
    saved = saved_through(
        request,
        form,
        lambda data: attendance_record(user=request.user, meeting=meeting, **data),
        refused=MeetingInvalid,
        success="Attendance is recorded.",
        then=lambda _: _back(meeting, "attendance"),
    )
    return saved or _form_page(
        request,
        form=form,
        meeting=meeting,
        heading="Record attendance",
        button="Record attendance",
        status=422 if request.method == "POST" else 200,
    )


@partnership_member_required
def meeting_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    form = MinutesForm(_posted(request), initial={"minutes": meeting.minutes})
    saved = saved_through(
        request,
        form,
        lambda data: minutes_save(user=request.user, meeting=meeting, minutes=data["minutes"]),
        refused=MeetingInvalid,
        success="The minutes are saved.",
        then=lambda _: _back(meeting, "minutes"),
    )
    return saved or _form_page(
        request,
        form=form,
        meeting=meeting,
        heading="Minutes",
        button="Save the minutes",
        status=422 if request.method == "POST" else 200,
    )


@partnership_member_required
def meeting_status(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Mark the meeting held, agree its minutes, or issue the packs."""
    meeting = _coordinator_meeting_or_404(request, meeting_id)
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "held":
                meeting_mark_held(user=request.user, meeting=meeting)
                messages.success(request, "The meeting is marked as held.")
            elif step == "close":
                meeting_close(user=request.user, meeting=meeting)
                messages.success(request, "The minutes are agreed.")
            elif step == "issue":
                sent = packs_issue(user=request.user, meeting=meeting)
                messages.success(request, f"{sent} people were sent a link to their pack.")
        except MeetingInvalid as exc:
            messages.error(request, " ".join(exc.errors.values()))
    return _back(meeting)


@partnership_member_required
def meeting_pack(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(request, meeting_id)
    pack = _pack_of_viewer(request, meeting)
    pack_disclosures_record(actor=request.user, pack=pack, form="html")
    return render(request, "meetings/pack.html", {"meeting": meeting_page(meeting), "pack": pack})


@partnership_member_required
def meeting_pack_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(request, meeting_id)
    pack = _pack_of_viewer(request, meeting)
    pdf = pack_pdf(pack)
    pack_disclosures_record(actor=request.user, pack=pack, form="pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = (
        f'inline; filename="meeting-pack-{stamp}-{pack.organisation.code}.pdf"'
    )
    return response
