"""The MATAC meeting: multi-agency tasking and coordinating.

A meeting has invited organisations (and people), an agenda of items proposed from the data
or added by hand, attendance, discussion, decisions and actions (saferhub.actions), minutes,
and a meeting pack for each attending organisation at the level its protocols allow.

An agenda item that is about a record (an incident, case, referral, action, person or place)
is shown to each organisation by that record's own sharing rules: in one organisation's pack
in full, in another's depersonalised, and not at all in a third's. An item added by hand with
no record is shown to every invited organisation, or only to those named on it.
"""

from django.conf import settings
from django.db import models

from saferhub.partnerships.models import Organisation, Partnership


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CLOSED = "closed", "Minutes agreed"


class Meeting(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(max_length=200, default="MATAC meeting")
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    # The period the proposed agenda looks back over (the weeks since the last meeting).
    period_from = models.DateField()
    period_to = models.DateField()
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    minutes = models.TextField(blank=True)
    # The organisation running the meeting (the chair's), which owns its hand-written items.
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_from__lte=models.F("period_to")),
                name="meeting_period_forwards",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} on {self.starts_at:%d %B %Y}"


class Invitation(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # A person invited by name; blank invites the organisation to send someone.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "organisation", "user"], name="invited_once")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} invited to meeting {self.meeting_id}"


class Attendance(models.Model):
    class Present(models.TextChoices):
        PRESENT = "present", "Present"
        APOLOGIES = "apologies", "Apologies"
        ABSENT = "absent", "Absent"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    present = models.CharField(max_length=10, choices=Present.choices, default=Present.PRESENT)

    class Meta:
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_present_display()})"


class ItemKind(models.TextChoices):
    REPEAT_LOCATION = "repeat_location", "Repeat location"
    REPEAT_VICTIM = "repeat_victim", "Repeat victim"
    RED_CASE = "red_case", "Open red-rated case"
    OVERDUE_ACTION = "overdue_action", "Overdue action"
    HIGH_RISK_REFERRAL = "high_risk_referral", "New high-risk referral"
    CARRIED_ACTION = "carried_action", "Action from the last meeting"
    OTHER = "other", "Other business"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    # Proposed by the hub from the data, or added by hand.
    proposed = models.BooleanField(default=False)
    # The record the item is about ("incident", "case", "referral", "action", "person_record",
    # "place_record"), or blank for an item added by hand about no one record.
    record_type = models.CharField(max_length=20, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    # For a hand-written item: its heading and text. Items about a record take their heading
    # from the record as each organisation may see it.
    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    # For a hand-written item: only these organisations' packs carry it (all when empty).
    audience = models.ManyToManyField(Organisation, blank=True, related_name="+")
    discussion = models.TextField(blank=True)
    decision = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Item {self.position} of meeting {self.meeting_id}"
