"""What briefing pages, the PDF and the command show, so that templates hold no logic."""

import base64
from html import escape

from django.utils import timezone

from saferhub.briefings.selectors import BriefingContent, CountRow
from saferhub.incidents.selectors import SUPPRESS_BELOW
from saferhub.incidents.vocabulary import PersonRole

SUPPRESSED_TEXT = f"fewer than {SUPPRESS_BELOW}"
ROLE_HEADINGS = {
    PersonRole.VICTIM.value: "Repeat victims",
    PersonRole.PERPETRATOR.value: "Repeat perpetrators",
    PersonRole.SUBJECT_OF_CONCERN.value: "Repeat subjects of concern",
}


def count_text(count: int | None) -> str:
    return SUPPRESSED_TEXT if count is None else f"{count:,}"


def window_text(content: BriefingContent) -> str:
    start = timezone.localtime(content.briefing.window_start)
    end = timezone.localtime(content.briefing.window_end)
    return f"{start:%A %-d %B %Y, %H:%M} to {end:%A %-d %B %Y, %H:%M}"


def theme_chart(rows: list[CountRow]) -> str:
    """Incidents by theme as a horizontal bar chart: an SVG data: URI (drawn on the server
    so that it is in the PDF too, and as an image so that the page's Content Security
    Policy, which allows no inline styles, does not apply to it). A suppressed count has no
    bar, only the words. Empty when there is nothing to draw."""
    if not rows:
        return ""
    bar_height, gap, label_width, bar_width = 22, 8, 220, 300
    largest = max((r.count or 0) for r in rows) or 1
    height = len(rows) * (bar_height + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 120}" '
        f'height="{height}" font-family="Arial, sans-serif" font-size="14">'
    ]
    for index, row in enumerate(rows):
        y = gap + index * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="#333">'
            f"{escape(row.label)}</text>"
        )
        width = 0 if row.count is None else max(1, round(bar_width * row.count / largest))
        if width:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{width}" height="{bar_height}" '
                'fill="#0065bd"/>'
            )
        parts.append(
            f'<text x="{label_width + width + 6}" y="{y + 16}" fill="#333">'
            f"{escape(count_text(row.count))}</text>"
        )
    parts.append("</svg>")
    return "data:image/svg+xml;base64," + base64.b64encode("".join(parts).encode()).decode()


def briefing_text(content: BriefingContent) -> str:
    """The reader's version as plain text, for the command line."""
    b = content.briefing
    lines = [
        f"Daily briefing: {b.partnership.name}, {b.for_date:%A %-d %B %Y}"
        + (f", {content.area_name}" if b.area else ""),
        f"Status: {b.get_status_display()}. Window: {window_text(content)}.",
        f"As seen by {content.reader.user.username} (figures under {SUPPRESS_BELOW} suppressed).",
        "",
        f"Incidents in the window: {count_text(content.total)}",
    ]
    lines += ["", "By theme:"] + [f"  {r.label}: {count_text(r.count)}" for r in content.by_theme]
    lines += ["", "By area:"] + [f"  {r.label}: {count_text(r.count)}" for r in content.by_area]
    lines += ["", f"Incidents you may see ({len(content.incidents)}):"]
    for i in content.incidents:
        lines.append(
            f"  #{i['id']} {i['occurred']:%d/%m %H:%M} {i['category_label']} ({i['theme_names']})"
            f" at {i['where']}, recorded by {i['owner']}"
        )
    if content.incidents_more:
        lines.append(f"  and {content.incidents_more} more")
    s = content.settings
    lines += [
        "",
        f"Repeat locations ({s.repeat_threshold} or more incidents in "
        f"{s.repeat_window_days} days):",
    ]
    lines += [f"  {r.label} {r.detail}: {r.count}" for r in content.repeat_places] or ["  None"]
    for role, heading in ROLE_HEADINGS.items():
        lines += ["", f"{heading}:"]
        found = content.repeat_people.get(role, [])
        lines += [f"  {r.label} ({r.detail}): {r.count}" for r in found] or ["  None"]
    lines += ["", "People with vulnerability flags:"]
    lines += [
        f"  {v['who']} {v['role']} in incident #{v['incident_id']}: {v['flags']}"
        for v in content.vulnerable
    ] or ["  None"]
    for heading, rows in (
        ("New referrals", content.new_referrals),
        ("Overdue referrals", content.overdue_referrals),
    ):
        lines += ["", f"{heading}:"]
        lines += [
            f"  #{r.id} {r.kind} ({r.urgency}) from {r.sent_by} to {r.sent_to}, "
            f"due {timezone.localtime(r.due_at):%d/%m %H:%M}, {r.status}"
            for r in rows
        ] or ["  None"]
    for heading, rows in (("Actions due", content.actions_due), ("Today's tasks", content.tasks)):
        lines += ["", f"{heading}:"]
        lines += [
            f"  #{a.id} {a.title}, for {a.given_to}, due {a.due_on:%d/%m/%Y}, {a.status}"
            for a in rows
        ] or ["  None"]
    lines += ["", "Coordinator's notes:", content.notes or "  None"]
    return "\n".join(lines)
