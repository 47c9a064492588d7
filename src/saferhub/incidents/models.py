"""Incidents (also called concerns or occurrences): what one partner recorded, and who was involved.

Incidents are read only through `saferhub.incidents.selectors`, which apply the sharing rules.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from saferhub.incidents.vocabulary import Category, PersonRole, Risk, Sex
from saferhub.partnerships.models import Organisation, Partnership, Theme
from saferhub.partnerships.themes import ThemeBook


class Incident(models.Model):
    # No index of their own on partnership and owner: the composite indexes below start with
    # them, and every index costs each imported row (the import benchmark, bench/).
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    # Not indexed either: users are deactivated, not deleted, so the hub never looks
    # incidents up by who typed them in.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # The owner's own reference, such as a police occurrence number.
    # NULL, not "", when there is none: the uniqueness per owner applies only to real ones.
    source_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    category = models.CharField(max_length=40, choices=Category.choices)
    # The incident's themes, one bit each (saferhub.partnerships.themes); never empty.
    theme_mask = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    reported_at = models.DateTimeField()
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    data_zone = models.CharField(max_length=12, blank=True)
    vulnerability_flags = models.JSONField(default=list, blank=True)
    narrative = models.TextField(blank=True)
    risk = models.CharField(max_length=5, choices=Risk.choices)
    relevant_partners = models.ManyToManyField(
        Organisation, through="RelevantPartner", related_name="relevant_incidents"
    )
    restricted = models.BooleanField(default=False)
    # Where it happened, as the owner holds the place (saferhub.places); the address,
    # postcode and data zone above are what was recorded at the time.
    place_record = models.ForeignKey(
        "places.PlaceRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    # A hash of what an import last wrote, so that re-importing an unchanged row is a no-op.
    import_fingerprint = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "source_ref"],
                condition=Q(source_ref__isnull=False),
                name="source_ref_unique_per_owner",
            ),
            models.CheckConstraint(condition=~Q(theme_mask=0), name="incident_has_a_theme"),
        ]
        indexes = [
            # The incident list: a partnership's incidents, newest first.
            models.Index(fields=["partnership", "-occurred_at", "-id"], name="incident_newest"),
            models.Index(fields=["owner", "-occurred_at"], name="incident_owner_newest"),
        ]

    def __str__(self) -> str:
        return f"Incident {self.pk}"

    def theme_list(self, book: ThemeBook | None = None) -> list[Theme]:
        """The incident's themes, read from its mask (pass the partnership's book when
        showing many incidents, to look the themes up once)."""
        cached = getattr(self, "_themes", None)
        if cached is None:
            cached = (book or ThemeBook.of(self.partnership_id)).themes_in(self.theme_mask)
            self._themes = cached
        return cached


class RelevantPartner(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="relevant_partner_links"
    )
    # Indexed by `relevant_incidents` below, which starts with it.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "organisation"], name="one_link_per_relevant_partner"
            )
        ]
        indexes = [models.Index(fields=["organisation", "incident"], name="relevant_incidents")]

    def __str__(self) -> str:
        return f"{self.organisation_id} is relevant to incident {self.incident_id}"


class IncidentPerson(models.Model):
    """A person involved in an incident, as the owner recorded them."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(max_length=20, choices=PersonRole.choices)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    # The owner's record of this person (saferhub.people); the names above are as recorded
    # at the time of the incident.
    person_record = models.ForeignKey(
        "people.PersonRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_links",
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} in incident {self.incident_id}"


class IncidentRevision(models.Model):
    """What an incident said before a change: an import or an edit keeps its history."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="revisions")
    before = models.JSONField()
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "web", "api" or "import run N".
    changed_through = models.CharField(max_length=40)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision of incident {self.incident_id}"
