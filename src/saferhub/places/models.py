"""Place records: an address or location as one organisation holds it in its own system.

Like person records, a place record belongs to its organisation and is seen by others only
through the incidents it appears in (saferhub.places.selectors). Each resolves to a data zone
where it can (saferhub.geography); one that cannot is kept and flagged unresolved.
"""

from django.conf import settings
from django.db import models

from saferhub.partnerships.models import Organisation


class PropertyType(models.TextChoices):
    HOUSE = "house", "House"
    FLAT = "flat", "Flat"
    HOUSE_IN_MULTIPLE_OCCUPATION = "hmo", "House in multiple occupation"
    SUPPORTED_ACCOMMODATION = "supported", "Supported accommodation"
    CARE_HOME = "care_home", "Care home"
    COMMERCIAL = "commercial", "Commercial premises"
    LICENSED_PREMISES = "licensed", "Licensed premises"
    SCHOOL = "school", "School"
    OPEN_SPACE = "open_space", "Park or open space"
    ROAD = "road", "Road or street"
    VEHICLE = "vehicle", "Vehicle"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class ResolvedBy(models.TextChoices):
    POSTCODE = "postcode", "Postcode lookup"
    COORDINATES = "coordinates", "Coordinates in a boundary"
    UNRESOLVED = "unresolved", "Not resolved"


class PlaceRecord(models.Model):
    # Indexed by the unique (organisation, source_ref) constraint, which starts with it.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="place_records", db_index=False
    )
    source_ref = models.CharField(max_length=100)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    # Normalised ("DD1 4HN") when given.
    postcode = models.CharField(max_length=8, blank=True)
    # Unique Property Reference Number: up to 12 digits.
    uprn = models.CharField(max_length=12, blank=True)
    # British National Grid (EPSG:27700) and WGS84; whichever the partner gave, both stored.
    easting = models.FloatField(null=True, blank=True)
    northing = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    property_type = models.CharField(
        max_length=20, choices=PropertyType.choices, default=PropertyType.UNKNOWN
    )
    # The data zone code (S01...), blank when unresolved.
    data_zone = models.CharField(max_length=9, blank=True)
    resolved_by = models.CharField(
        max_length=12, choices=ResolvedBy.choices, default=ResolvedBy.UNRESOLVED
    )
    # The address folded for search (saferhub.places.addresses.address_key).
    address_key = models.CharField(max_length=400, blank=True)
    import_fingerprint = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source_ref"], name="place_source_ref_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "postcode"], name="place_postcode"),
            models.Index(fields=["uprn"], name="place_uprn"),
            models.Index(fields=["data_zone"], name="place_data_zone"),
        ]

    def __str__(self) -> str:
        return f"Place record {self.source_ref} of organisation {self.organisation_id}"

    @property
    def address(self) -> str:
        """The address on one line, as a person would write it."""
        parts = [self.address_line_1, self.address_line_2, self.town, self.postcode]
        return ", ".join(part for part in parts if part)


class PlaceRecordRevision(models.Model):
    """What a place record said before a change."""

    place = models.ForeignKey(PlaceRecord, on_delete=models.CASCADE, related_name="revisions")
    before = models.JSONField()
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_through = models.CharField(max_length=40)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision of place record {self.place_id}"
