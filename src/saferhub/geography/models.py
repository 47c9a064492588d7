"""Scotland's statistical geography: council areas, intermediate zones, data zones with their
Scottish Index of Multiple Deprivation (SIMD) ranks, and the postcode to data zone lookup."""

from django.db import models


class CouncilArea(models.Model):
    code = models.CharField(max_length=9, unique=True, help_text="for example S12000042")
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name or self.code} ({self.code})"


class IntermediateZone(models.Model):
    code = models.CharField(max_length=9, unique=True, help_text="for example S02001234")
    name = models.CharField(max_length=200, blank=True)
    council_area = models.ForeignKey(
        CouncilArea, on_delete=models.PROTECT, related_name="intermediate_zones"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name or self.code} ({self.code})"


class DataZone(models.Model):
    code = models.CharField(max_length=9, unique=True, help_text="for example S01007705")
    name = models.CharField(max_length=200, blank=True)
    intermediate_zone = models.ForeignKey(
        IntermediateZone, on_delete=models.PROTECT, related_name="data_zones"
    )
    council_area = models.ForeignKey(CouncilArea, on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField(null=True, blank=True)
    # SIMD overall rank: 1 is the most deprived data zone in Scotland.
    simd_rank = models.PositiveIntegerField(null=True, blank=True)
    simd_quintile = models.PositiveSmallIntegerField(null=True, blank=True)
    simd_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    income_rank = models.PositiveIntegerField(null=True, blank=True)
    employment_rank = models.PositiveIntegerField(null=True, blank=True)
    health_rank = models.PositiveIntegerField(null=True, blank=True)
    education_rank = models.PositiveIntegerField(null=True, blank=True)
    access_rank = models.PositiveIntegerField(null=True, blank=True)
    crime_rank = models.PositiveIntegerField(null=True, blank=True)
    housing_rank = models.PositiveIntegerField(null=True, blank=True)
    # The boundary as a GeoJSON geometry in WGS84 (longitude, latitude). The bounding box
    # lets a point lookup ask the database for the few candidate zones before testing shapes.
    boundary = models.TextField(blank=True)
    min_lon = models.FloatField(null=True, blank=True, db_index=True)
    max_lon = models.FloatField(null=True, blank=True, db_index=True)
    min_lat = models.FloatField(null=True, blank=True, db_index=True)
    max_lat = models.FloatField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name or self.code} ({self.code})"


class PostcodeLookup(models.Model):
    postcode = models.CharField(max_length=8, unique=True, help_text='normalised, as "DD1 4HN"')
    data_zone = models.ForeignKey(DataZone, on_delete=models.CASCADE, related_name="postcodes")
    easting = models.PositiveIntegerField(null=True, blank=True)
    northing = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["postcode"]

    def __str__(self) -> str:
        return self.postcode
