"""The initiatives register and its evaluations (DESIGN.md section 3, issue 8).

An initiative belongs to one partnership and is owned by one organisation; its partners say
what they put in; its indicators are series, each a query over the hub's incidents (theme,
category, area, period) or a series someone uploaded; an evaluation is one run of the
evaluation library on one indicator, kept with its design, parameters and result, and
numbered: re-running makes the next version and keeps the earlier ones.

Read through saferhub.evaluation.selectors, change through saferhub.evaluation.services.
"""

from django.conf import settings
from django.db import models

from saferhub.partnerships.models import Organisation, Partnership


class PreventionLevel(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    TERTIARY = "tertiary", "Tertiary"


# Shown beside the choice on the form and the initiative's page.
PREVENTION_LEVEL_MEANING = {
    PreventionLevel.PRIMARY: "stops harm before it happens, for everyone in an area or group "
    "(a road-safety day for every pre-driver, smoke alarms for every home)",
    PreventionLevel.SECONDARY: "works with people or places at higher risk, before harm "
    "(home fire safety visits to older smokers who live alone)",
    PreventionLevel.TERTIARY: "works with people already harmed or causing harm, so that it "
    "does not happen again (triage for people in mental-health crisis)",
}


class InitiativeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"


class Initiative(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    # Codes of the partnership's themes.
    themes = models.JSONField(default=list)
    prevention_level = models.CharField(max_length=10, choices=PreventionLevel.choices)
    target_group = models.TextField(blank=True)
    # Data zone codes; empty when the initiative covers the whole partnership.
    data_zones = models.JSONField(default=list, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # The logic model.
    inputs = models.TextField(blank=True)
    activities = models.TextField(blank=True)
    outputs = models.TextField(blank=True)
    outcomes = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=InitiativeStatus.choices, default=InitiativeStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The summary published to the partnership's practice library, under the EMMIE headings.
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emmie_effect = models.TextField(blank=True)
    emmie_mechanism = models.TextField(blank=True)
    emmie_moderators = models.TextField(blank=True)
    emmie_implementation = models.TextField(blank=True)
    emmie_economic_cost = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_on", "title"]
        indexes = [models.Index(fields=["partnership", "starts_on"], name="initiatives_by_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def whole_partnership(self) -> bool:
        return not self.data_zones


class ContributionKind(models.TextChoices):
    STAFF_HOURS = "staff_hours", "Staff hours"
    MONEY = "money", "Money (£)"
    IN_KIND = "in_kind", "In kind"


class InitiativePartner(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ContributionKind.choices)
    # Hours or pounds; empty for a contribution in kind described in the notes.
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_kind_display()}"


class IndicatorKind(models.TextChoices):
    OUTPUT = "output", "Output"
    OUTCOME = "outcome", "Outcome"


class IndicatorSource(models.TextChoices):
    QUERY = "query", "Incidents in the hub"
    UPLOAD = "upload", "An uploaded series"


class Granularity(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Indicator(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=7, choices=IndicatorKind.choices)
    source = models.CharField(max_length=6, choices=IndicatorSource.choices)
    # A query: incidents with this theme (and category, if given) in these data zones (empty:
    # the initiative's areas), counted by month or quarter from period_from to period_to.
    theme = models.CharField(max_length=60, blank=True)
    category = models.CharField(max_length=60, blank=True)
    data_zones = models.JSONField(default=list, blank=True)
    granularity = models.CharField(
        max_length=7, choices=Granularity.choices, default=Granularity.MONTH
    )
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    # An upload: [[period label, value], ...] in time order, as read from the CSV.
    rows = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.name


class Design(models.TextChoices):
    ITS = "its", "Interrupted time series"
    ITS_STRUCTURAL = "its-structural", "Interrupted time series (structural model)"
    DID = "did", "Difference-in-differences"
    SYNTHETIC_CONTROL = "synthetic-control", "Synthetic control"


class Evaluation(models.Model):
    """One run of the evaluation library; re-running the same indicator makes a new version."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="evaluations")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="evaluations")
    version = models.PositiveIntegerField()
    design = models.CharField(max_length=20, choices=Design.choices)
    # What the run used: the start, comparison data zones, seasonal cycle, the series itself.
    parameters = models.JSONField(default=dict)
    # EvaluationResult.to_dict(), and the economic view at the unit cost entered.
    result = models.JSONField(default=dict)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    economic = models.JSONField(null=True, blank=True)
    # The figures are those the runner's organisation may see for analysis; only its members
    # see them (see selectors.evaluation_for).
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["indicator", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "indicator", "version"], name="one_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: version {self.version}"
