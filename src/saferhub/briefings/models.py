"""The daily briefing: what happened in the last day (the weekend, on a Monday), repeat
locations and people, vulnerability, referrals and actions due, with the coordinator's notes
and the day's tasks.

A briefing stores only its window, the coordinator's notes and when it was published: what
each reader sees in it is built for that reader through the sharing engine whenever they open
it (`saferhub.briefings.selectors`), so two readers of one briefing see two versions.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from saferhub.partnerships.models import Partnership


class BriefingSettings(models.Model):
    """How a partnership's briefings are made; a partnership without a row uses the defaults."""

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, related_name="briefing_settings"
    )
    # The window on an ordinary day; on a Monday it reaches back to Friday at the same time.
    window_hours = models.PositiveIntegerField(default=24)
    monday_covers_weekend = models.BooleanField(default=True)
    # When the morning's briefing is made (local time).
    generate_at = models.TimeField(default=datetime.time(7, 0))
    # A location or person is a repeat with this many incidents or more in this many days.
    repeat_threshold = models.PositiveIntegerField(default=3)
    repeat_window_days = models.PositiveIntegerField(default=28)

    class Meta:
        verbose_name_plural = "briefing settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(window_hours__gt=0), name="briefing_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(repeat_threshold__gte=2), name="repeat_needs_two_or_more"
            ),
            models.CheckConstraint(
                condition=Q(repeat_window_days__gt=0), name="repeat_window_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Briefing settings of {self.partnership}"


class BriefingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class MadeBy(models.TextChoices):
    SCHEDULE = "schedule", "The morning schedule"
    PAGE = "page", "On demand, from the briefing page"
    COMMAND = "command", "The saferhub briefing command"


class Briefing(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="briefings")
    # One area of the partnership (an intermediate zone code), or blank for all of it.
    area = models.CharField(max_length=9, blank=True)
    for_date = models.DateField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=BriefingStatus.choices, default=BriefingStatus.DRAFT
    )
    # The coordinator's notes, which every reader of the briefing sees.
    notes = models.TextField(blank=True)
    made_by = models.CharField(max_length=10, choices=MadeBy.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-for_date", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "area", "for_date"], name="one_briefing_per_day_and_area"
            ),
            models.CheckConstraint(
                condition=Q(window_start__lt=models.F("window_end")),
                name="briefing_window_forwards",
            ),
        ]

    def __str__(self) -> str:
        return f"Briefing for {self.for_date}"
