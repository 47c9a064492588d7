"""Information Sharing Protocols: what partners signed to share, with whom and why."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from saferhub.partnerships.models import Organisation, Partnership, Theme


class Level(models.TextChoices):
    # Ordered from least to most revealing; the sharing rules compare them by this order.
    NONE = "none", "None"
    AGGREGATE = "aggregate", "Aggregate (counts only)"
    DEPERSONALISED = "depersonalised", "Depersonalised"
    PERSONAL = "personal", "Personal"


LEVEL_ORDER = [Level.NONE, Level.AGGREGATE, Level.DEPERSONALISED, Level.PERSONAL]


class ProtocolStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    # An older version once a newer one has been issued; it no longer shares anything.
    SUPERSEDED = "superseded", "Superseded"


class Audience(models.TextChoices):
    ALL_SIGNATORIES = "all_signatories", "All signatories"
    RELEVANT_PARTNERS = "relevant_partners", "Relevant partners of each record"


class Purpose(models.TextChoices):
    TASKING = "tasking", "Tasking"
    REFERRAL = "referral", "Referral"
    ANALYSIS = "analysis", "Analysis"


class ProtocolQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> "ProtocolQuerySet":
        """Protocols that share data on `day`: active, started, and not past expiry."""
        return self.filter(
            Q(status=ProtocolStatus.ACTIVE),
            Q(effective_from__lte=day),
            Q(expires_on__isnull=True) | Q(expires_on__gte=day),
        )


class Protocol(models.Model):
    """One version of an Information Sharing Protocol of a partnership."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="protocols")
    code = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=12, choices=ProtocolStatus.choices)
    effective_from = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    review_by = models.DateField()
    signatories = models.ManyToManyField(
        Organisation, through="Signatory", related_name="protocols"
    )
    themes = models.ManyToManyField(Theme, related_name="protocols")
    level = models.CharField(
        max_length=16, choices=[c for c in Level.choices if c[0] != Level.NONE]
    )
    audience = models.CharField(max_length=20, choices=Audience.choices)
    # One flag per purpose keeps "which protocols allow purpose X" a plain column filter.
    for_tasking = models.BooleanField(default=False)
    for_referral = models.BooleanField(default=False)
    for_analysis = models.BooleanField(default=False)
    legal_basis = models.TextField()
    retention_months = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "code", "version"], name="one_row_per_protocol_version"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("effective_from")),
                name="protocol_expires_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @property
    def purposes(self) -> list[str]:
        return [p.value for p in Purpose if getattr(self, f"for_{p.value}")]

    def is_active_on(self, day: datetime.date) -> bool:
        return (
            self.status == ProtocolStatus.ACTIVE
            and self.effective_from <= day
            and (self.expires_on is None or day <= self.expires_on)
        )


class Signatory(models.Model):
    """An organisation that signed a protocol version; who signed and when, if known."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="signings")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    # "partnership file" when the signature was recorded by applying the file.
    signed_via = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "organisation"], name="one_signature_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} signed {self.protocol}"


class EmergencyReview(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    FLAGGED = "flagged", "Flagged for follow-up"


class EmergencyDisclosure(models.Model):
    """A user's vital-interests access to records they could not otherwise see in full.

    For now it concerns one incident (the record about the person at risk); the linked
    person and place of later work widen it to every record about them.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_disclosures"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="emergency_disclosures"
    )
    reason = models.TextField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    review = models.CharField(
        max_length=10, choices=EmergencyReview.choices, default=EmergencyReview.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["user", "incident", "ends_at"], name="emergency_lookup")]

    def __str__(self) -> str:
        return f"Emergency disclosure {self.pk} by {self.user}"
