"""Referrals: one organisation asking another to act for a person or at a place.

A referral is `personal` to the organisation that sent it (its owner) and the one it was sent
to (its recipient); anyone else sees it by the sharing rules, with its themes, like any other
record (DESIGN.md section 4). Referrals are read only through `saferhub.referrals.selectors`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from saferhub.partnerships.models import Organisation, Partnership
from saferhub.sharing.models import Protocol


class Urgency(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


# How soon the receiving organisation must act, when the partnership has not said otherwise.
DEFAULT_DUE_HOURS = {Urgency.RED: 4, Urgency.AMBER: 72, Urgency.GREEN: 14 * 24}


class LawfulBasis(models.TextChoices):
    PROTOCOL = "protocol", "An information sharing protocol"
    CONSENT = "consent", "The person's consent"
    VITAL_INTERESTS = "vital_interests", "Vital interests (someone is at risk of serious harm)"


class ConsentGivenHow(models.TextChoices):
    IN_WRITING = "in_writing", "In writing"
    VERBALLY = "verbally", "Verbally, in person"
    BY_PHONE = "by_phone", "By phone"
    ELECTRONICALLY = "electronically", "Electronically"


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A referral still waiting for the receiving organisation to finish with it.
OPEN_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class ReferralType(models.Model):
    """A kind of referral a partnership uses (home fire safety visit, victim support, ...)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="referral_types"
    )
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "code"], name="referral_type_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UrgencyDueTime(models.Model):
    """A partnership's own due time for one urgency (red within 4 hours, say)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="referral_due_times"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    hours = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "urgency"], name="one_due_time_per_urgency"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="due_time_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_urgency_display()} within {self.hours} hours"


class Referral(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="referrals", db_index=False
    )
    # The referring organisation: the record's owner, for the sharing rules.
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_sent", db_index=False
    )
    # The receiving organisation, who sees the referral in full as its owner does.
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_received", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral_type = models.ForeignKey(ReferralType, on_delete=models.PROTECT, related_name="+")
    # The referral's themes, one bit each (saferhub.partnerships.themes); never empty.
    theme_mask = models.BigIntegerField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    reason = models.TextField()
    # Who or what it is about: the referrer's own records, or an incident (at least one).
    person_record = models.ForeignKey(
        "people.PersonRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_record = models.ForeignKey(
        "places.PlaceRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The lawful basis it was sent on; the fields of the other bases stay empty.
    lawful_basis = models.CharField(max_length=20, choices=LawfulBasis.choices)
    protocol = models.ForeignKey(
        Protocol, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_given_by = models.CharField(max_length=200, blank=True)
    consent_given_at = models.DateTimeField(null=True, blank=True)
    consent_given_how = models.CharField(max_length=20, choices=ConsentGivenHow.choices, blank=True)
    consent_capacity_note = models.TextField(blank=True)
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    vital_interests_reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    sent_at = models.DateTimeField()
    due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    relevant_partners = models.ManyToManyField(
        Organisation, through="ReferralRelevantPartner", related_name="relevant_referrals"
    )
    restricted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(theme_mask=0), name="referral_has_a_theme"),
            models.CheckConstraint(
                condition=Q(person_record__isnull=False)
                | Q(place_record__isnull=False)
                | Q(incident__isnull=False),
                name="referral_is_about_something",
            ),
            models.CheckConstraint(
                condition=~Q(lawful_basis="protocol") | Q(protocol__isnull=False),
                name="referral_protocol_named",
            ),
        ]
        indexes = [
            models.Index(fields=["partnership", "-sent_at", "-id"], name="referral_newest"),
            models.Index(fields=["owner", "status", "due_at"], name="referral_sent_queue"),
            models.Index(fields=["recipient", "status", "due_at"], name="referral_received_queue"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralRelevantPartner(models.Model):
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="relevant_partner_links"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "organisation"], name="one_referral_link_per_partner"
            )
        ]
        indexes = [models.Index(fields=["organisation", "referral"], name="relevant_referrals")]

    def __str__(self) -> str:
        return f"{self.organisation_id} is relevant to referral {self.referral_id}"


class ReferralEventKind(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    ASSIGNED = "assigned", "Assigned"
    CONTACT_ATTEMPT = "contact_attempt", "Contact attempt"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
    NOTE = "note", "Note"


class ContactOutcome(models.TextChoices):
    MADE_CONTACT = "made_contact", "Made contact"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left a message"
    REFUSED = "refused", "Refused"
    WRONG_DETAILS = "wrong_details", "Wrong contact details"


class ReferralEvent(models.Model):
    """One thing that happened to a referral; both organisations see the whole history."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=ReferralEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contact_outcome = models.CharField(max_length=20, choices=ContactOutcome.choices, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on referral {self.referral_id}"
