"""What the meeting pages show, so that templates hold no logic."""

from dataclasses import dataclass

from django import forms
from django.utils import timezone

from saferhub.meetings.models import Meeting, MeetingStatus

STATUS_TAG = {
    MeetingStatus.SCHEDULED: "",
    MeetingStatus.HELD: "ds_tag--orange",
    MeetingStatus.CLOSED: "ds_tag--green",
}


@dataclass
class MeetingRow:
    id: int
    title: str
    when: str
    location: str
    status: str
    status_tag: str
    organiser: str


def _when(meeting: Meeting) -> str:
    start = timezone.localtime(meeting.starts_at)
    return f"{start.day} {start:%B %Y}, {start:%H:%M}"


def meeting_rows(meetings: list[Meeting]) -> list[MeetingRow]:
    return [
        MeetingRow(
            id=m.pk,
            title=m.title,
            when=_when(m),
            location=m.location,
            status=m.get_status_display(),
            status_tag=STATUS_TAG[m.status],
            organiser=m.organiser.name,
        )
        for m in meetings
    ]


def meeting_page(meeting: Meeting) -> dict:
    """The meeting's own details: nothing here is about a person."""
    invited = sorted(
        {i.organisation.name for i in meeting.invitations.select_related("organisation")}
    )
    named = sorted(
        f"{i.user.name or i.user.username} ({i.organisation.name})"
        for i in meeting.invitations.select_related("user", "organisation")
        if i.user is not None
    )
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "when": _when(meeting),
        "location": meeting.location or "Not set",
        "period": f"{meeting.period_from.day} {meeting.period_from:%B %Y} to "
        f"{meeting.period_to.day} {meeting.period_to:%B %Y}",
        "status": meeting.get_status_display(),
        "status_tag": STATUS_TAG[meeting.status],
        "scheduled": meeting.status == MeetingStatus.SCHEDULED,
        "held": meeting.status == MeetingStatus.HELD,
        "closed": meeting.status == MeetingStatus.CLOSED,
        "organiser": meeting.organiser.name,
        "chair": (meeting.chair.name or meeting.chair.username) if meeting.chair else "",
        "invited": invited,
        "invited_people": named,
        "attendance": [
            {
                "organisation": a.organisation.name,
                "name": a.name,
                "present": a.get_present_display(),
            }
            for a in meeting.attendance.select_related("organisation")
        ],
        "minutes": meeting.minutes,
        "partnership": meeting.partnership.name,
    }


def form_fields(form: forms.Form) -> list[dict]:
    """Each field with the design system partial that draws it."""
    rows = []
    for field in form:
        widget = field.field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            partial = "hub/_checkboxes_field.html"
        elif isinstance(widget, forms.Textarea):
            partial = "hub/_textarea_field.html"
        elif isinstance(widget, forms.Select):
            partial = "hub/_select_field.html"
        else:
            partial = "hub/_text_field.html"
        rows.append({"field": field, "template": partial})
    return rows
