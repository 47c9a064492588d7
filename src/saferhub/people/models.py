"""Person records: a person as one organisation holds them in its own system.

A person record belongs to its organisation, not to a partnership: it is seen by others only
through the incidents (and later referrals and cases) it appears in, at the highest level the
sharing rules allow for any of them (saferhub.people.selectors). Linking records of the same
person across organisations is the linkage module's work, not this one's.
"""

from django.conf import settings
from django.db import models

from saferhub.incidents.vocabulary import Sex
from saferhub.partnerships.models import Organisation


class DatePrecision(models.TextChoices):
    # Partner systems often know only the year, or the month, a person was born.
    DAY = "day", "Full date"
    MONTH = "month", "Month and year"
    YEAR = "year", "Year only"


class PersonRecord(models.Model):
    # Indexed by the unique (organisation, source_ref) constraint, which starts with it.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="person_records", db_index=False
    )
    # The organisation's own reference for the person, as in its system.
    source_ref = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    # Aliases and other names the person is known by, as a list of strings.
    other_names = models.JSONField(default=list, blank=True)
    # A partial date is stored as its first day (1 January, or the 1st of the month),
    # and the precision says how much of it is known.
    date_of_birth = models.DateField(null=True, blank=True)
    date_of_birth_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, blank=True
    )
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    chi_number = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=254, blank=True)
    # The names folded for search and for "already known" warnings
    # (saferhub.people.identifiers.name_key): lower case, no accents or punctuation.
    given_key = models.CharField(max_length=100, blank=True)
    family_key = models.CharField(max_length=100, blank=True)
    # The other names folded the same way, each whole and word by word, between spaces
    # (" jonnyobrien jonny obrien "), so that a search can match a prefix of any of them.
    other_keys = models.TextField(blank=True)
    # A hash of what an import last wrote, so that re-importing an unchanged row is a no-op.
    import_fingerprint = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source_ref"], name="person_source_ref_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "family_key", "given_key"], name="person_name"),
            models.Index(fields=["organisation", "date_of_birth"], name="person_birth"),
            models.Index(fields=["chi_number"], name="person_chi"),
            # Linking on arrival looks for candidates by given name and by postcode.
            models.Index(fields=["given_key", "date_of_birth"], name="person_given"),
            # And by family name and month of birth: without this, PostgreSQL read everyone
            # born in the month (1,600 records at 1,000,000 people) to find the few Murrays.
            models.Index(fields=["family_key", "date_of_birth"], name="person_family_birth"),
        ]

    def __str__(self) -> str:
        return f"Person record {self.source_ref} of organisation {self.organisation_id}"


class PersonAddress(models.Model):
    """Where the person lived, with dates when known (old addresses matter for linkage)."""

    person = models.ForeignKey(PersonRecord, on_delete=models.CASCADE, related_name="addresses")
    address = models.CharField(max_length=300)
    postcode = models.CharField(max_length=8, blank=True)
    lived_from = models.DateField(null=True, blank=True)
    lived_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-lived_from", "pk"]
        indexes = [models.Index(fields=["postcode"], name="person_address_postcode")]

    def __str__(self) -> str:
        return f"Address of person record {self.person_id}"


class PersonRecordRevision(models.Model):
    """What a person record said before a change: the record keeps its history."""

    person = models.ForeignKey(PersonRecord, on_delete=models.CASCADE, related_name="revisions")
    # The fields as they were, as JSON (dates as ISO text).
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
        return f"Revision of person record {self.person_id}"
