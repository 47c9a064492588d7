"""Actions: a task one organisation sets another (or itself), from a case, a daily briefing
or a MATAC meeting.

An action follows the sharing rules like any record (DESIGN.md section 4): the organisation
that set it owns it, and the organisation given it (its recipient) sees it in full too; anyone
else sees it only as far as a protocol covering its themes allows. Actions are read only
through `saferhub.actions.selectors`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from saferhub.partnerships.models import Organisation, Partnership


class ActionStatus(models.TextChoices):
    OPEN = "open", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


# An action still to be done; past its due date it is overdue.
OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class Action(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="actions", db_index=False
    )
    # The organisation that set the action: its owner, for the sharing rules.
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="actions_set", db_index=False
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The organisation that must carry it out (and, optionally, one person there).
    assignee_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="actions_given", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What to do (shown only at personal level: it may name people and addresses).
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    theme_mask = models.BigIntegerField()
    due_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    completion_note = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Where the action came from: at most one of these.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    briefing = models.ForeignKey(
        "briefings.Briefing",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="actions",
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="actions",
    )
    # The referral or incident the action is about, when there is one.
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    relevant_partners = models.ManyToManyField(
        Organisation, through="ActionRelevantPartner", related_name="relevant_actions"
    )
    restricted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(theme_mask=0), name="action_has_a_theme"),
        ]
        indexes = [
            models.Index(
                fields=["assignee_organisation", "status", "due_on"], name="action_given_queue"
            ),
            models.Index(fields=["owner", "status", "due_on"], name="action_set_queue"),
            models.Index(fields=["partnership", "status", "due_on"], name="action_partnership"),
        ]

    def __str__(self) -> str:
        return f"Action {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ActionRelevantPartner(models.Model):
    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, related_name="relevant_partner_links"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "organisation"], name="one_action_link_per_partner"
            )
        ]
        indexes = [models.Index(fields=["organisation", "action"], name="relevant_actions")]

    def __str__(self) -> str:
        return f"{self.organisation_id} is relevant to action {self.action_id}"


class ActionUpdate(models.Model):
    """A change of status or a progress note: the action's history."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=ActionStatus.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Update to action {self.action_id}"
