"""Problem-solving cases, worked through scanning, analysis, response and assessment (SARA).

A case carries its own themes and follows the sharing rules like an incident (DESIGN.md
section 4); every incident linked to it is shown by its own rules, not the case's. Cases are
read only through `saferhub.cases.selectors`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from saferhub.partnerships.models import Organisation, Partnership


class CaseSubject(models.TextChoices):
    PERSON = "person", "A person"
    PLACE = "place", "A place"
    GROUP = "group", "A group"
    PROBLEM = "problem", "A problem"


class Stage(models.TextChoices):
    SCANNING = "scanning", "Scanning"
    ANALYSIS = "analysis", "Analysis"
    RESPONSE = "response", "Response"
    ASSESSMENT = "assessment", "Assessment"
    CLOSED = "closed", "Closed"


class ClosureOutcome(models.TextChoices):
    RESOLVED = "resolved", "Problem resolved"
    REDUCED = "reduced", "Harm reduced"
    NO_CHANGE = "no_change", "No change"
    REFERRED_ON = "referred_on", "Passed to another service"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"


class Rag(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


def rag_of(likelihood: int, impact: int) -> str:
    """Red, amber or green from a 5-by-5 risk matrix: likelihood times impact of 15 or more is red,
    8 to 12 amber, 6 or less green (the products 7, 13 and 14 cannot occur)."""
    if not (1 <= likelihood <= 5 and 1 <= impact <= 5):
        raise ValueError("likelihood and impact are each 1 to 5")
    score = likelihood * impact
    if score >= 15:
        return Rag.RED
    if score >= 8:
        return Rag.AMBER
    return Rag.GREEN


class Case(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    # The organisation leading the case: its owner, for the sharing rules.
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the problem is, in the owner's words (shown only at personal level).
    title = models.CharField(max_length=200)
    subject = models.CharField(max_length=10, choices=CaseSubject.choices)
    person_record = models.ForeignKey(
        "people.PersonRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_record = models.ForeignKey(
        "places.PlaceRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group_description = models.TextField(blank=True)
    # Where the problem is, when it has an area: shown at depersonalised level.
    data_zone = models.CharField(max_length=9, blank=True)
    theme_mask = models.BigIntegerField()
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.SCANNING)
    # The SARA write-up, one part per stage.
    scanning_notes = models.TextField(blank=True)
    analysis_notes = models.TextField(blank=True)
    response_plan = models.TextField(blank=True)
    assessment_notes = models.TextField(blank=True)
    # The latest risk assessment's rating, kept here so that lists can sort and filter on it.
    rag = models.CharField(max_length=5, choices=Rag.choices, blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_outcome = models.CharField(max_length=20, choices=ClosureOutcome.choices, blank=True)
    closure_notes = models.TextField(blank=True)
    incidents = models.ManyToManyField(
        "incidents.Incident", through="CaseIncident", related_name="cases"
    )
    relevant_partners = models.ManyToManyField(
        Organisation, through="CaseRelevantPartner", related_name="relevant_cases"
    )
    restricted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(theme_mask=0), name="case_has_a_theme"),
        ]
        indexes = [
            models.Index(fields=["partnership", "-opened_at", "-id"], name="case_newest"),
            models.Index(fields=["owner", "stage"], name="case_owner_stage"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED


class CaseRelevantPartner(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="relevant_partner_links")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organisation"], name="one_case_link_per_partner"
            )
        ]
        indexes = [models.Index(fields=["organisation", "case"], name="relevant_cases")]

    def __str__(self) -> str:
        return f"{self.organisation_id} is relevant to case {self.case_id}"


class CaseIncident(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="case_links"
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "incident"], name="incident_linked_once")
        ]

    def __str__(self) -> str:
        return f"Incident {self.incident_id} in case {self.case_id}"


class RiskAssessment(models.Model):
    """One assessment of a case's risk; the case keeps them all, newest last."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_assessments")
    likelihood = models.PositiveSmallIntegerField()
    impact = models.PositiveSmallIntegerField()
    rag = models.CharField(max_length=5, choices=Rag.choices)
    rationale = models.TextField(blank=True)
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["assessed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5, impact__gte=1, impact__lte=5),
                name="risk_on_five_point_scales",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_rag_display()} risk on case {self.case_id}"


class CaseReview(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    notes = models.TextField(blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["reviewed_on", "pk"]

    def __str__(self) -> str:
        return f"Review of case {self.case_id} on {self.reviewed_on}"
