"""Reading meetings. A meeting itself holds no personal data (its items are shown through
saferhub.meetings.packs, record by record): these say which meetings a user may open at all."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from saferhub.meetings.models import AgendaItem, Meeting
from saferhub.meetings.services import is_coordinator
from saferhub.partnerships.models import Membership, Organisation, Partnership, User


def meetings_visible_to(*, user: User, partnership: Partnership) -> QuerySet[Meeting]:
    """The partnership's meetings the user's organisation runs or is invited to; all of
    them for a coordinator."""
    meetings = Meeting.objects.filter(partnership=partnership)
    if not is_coordinator(user=user, partnership=partnership):
        meetings = meetings.filter(
            Q(organiser_id=user.organisation_id)
            | Q(invitations__organisation_id=user.organisation_id)
        ).distinct()
    return meetings.select_related("organiser")


def meetings_split(meetings: QuerySet[Meeting]) -> tuple[list[Meeting], list[Meeting]]:
    """Upcoming (soonest first) and past (latest first)."""
    now = timezone.now()
    upcoming = list(meetings.filter(starts_at__gte=now).order_by("starts_at", "pk"))
    past = list(meetings.filter(starts_at__lt=now).order_by("-starts_at", "-pk"))
    return upcoming, past


def meeting_visible_to(*, user: User, partnership: Partnership, meeting_id: int) -> Meeting:
    """One meeting, or Meeting.DoesNotExist when the user may not open it (pages answer 404)."""
    return meetings_visible_to(user=user, partnership=partnership).get(pk=meeting_id)


def item_of_meeting(*, meeting: Meeting, item_id: int) -> AgendaItem:
    """One item of the meeting, for the coordinator's forms (never shown as it is)."""
    return AgendaItem.objects.select_related("meeting__partnership").get(
        meeting=meeting, pk=item_id
    )


def member_organisations(*, partnership: Partnership) -> list[Organisation]:
    return [
        m.organisation
        for m in Membership.objects.filter(partnership=partnership)
        .select_related("organisation")
        .order_by("organisation__name")
    ]


def partnership_people(*, partnership: Partnership) -> list[User]:
    """Active users holding any role in the partnership, by name."""
    return list(
        User.objects.filter(is_active=True, role_assignments__partnership=partnership)
        .select_related("organisation")
        .distinct()
        .order_by("name", "username")
    )
