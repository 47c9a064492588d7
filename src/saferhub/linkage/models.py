"""Record linkage: the people and places of a partnership as entities gathering the records
each organisation holds (DESIGN.md section 3), with how sure the hub is of each link, the
pairs waiting for a person to decide, and the history of every change.

An entity belongs to a partnership: linking runs over the records of the partnership's member
organisations, and the same record may belong to one entity in each partnership its
organisation is in. Entities are read only through saferhub.linkage.selectors, which show each
record at the reader's own level and never hint at a record the reader may not see.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from saferhub.partnerships.models import Partnership
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord


class EntityKind(models.TextChoices):
    PERSON = "person", "Person"
    PLACE = "place", "Place"


class Entity(models.Model):
    """One person or one place as the partnership knows them. The id is stable: bulk runs
    keep each entity's id for the records it already gathered, and a merged entity points at
    the one it was merged into rather than disappearing."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=EntityKind.choices)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["partnership", "kind"], name="entities_of_partnership")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class LinkedBy(models.TextChoices):
    FIRST = "first", "First record of the entity"
    BULK = "bulk", "Bulk linking"
    ARRIVAL = "arrival", "Matched on arrival"
    REVIEWER = "reviewer", "A reviewer's decision"


class RecordLink(models.Model):
    """One record's membership of one entity, and how sure the hub is of it."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="links")
    # The entity's partnership, repeated so that a record is in one entity per partnership.
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    person_record = models.ForeignKey(
        PersonRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="entity_links"
    )
    place_record = models.ForeignKey(
        PlaceRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="entity_links"
    )
    # The probability that the record is the entity's person or place (1 for its first).
    match_probability = models.FloatField()
    linked_by = models.CharField(max_length=10, choices=LinkedBy.choices)
    linked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person_record__isnull=False, place_record__isnull=True)
                | Q(person_record__isnull=True, place_record__isnull=False),
                name="link_is_to_one_record",
            ),
            models.UniqueConstraint(
                fields=["partnership", "person_record"],
                condition=Q(person_record__isnull=False),
                name="person_record_in_one_entity",
            ),
            models.UniqueConstraint(
                fields=["partnership", "place_record"],
                condition=Q(place_record__isnull=False),
                name="place_record_in_one_entity",
            ),
        ]

    def __str__(self) -> str:
        return f"Link to entity {self.entity_id}"


class EntityEvent(models.Model):
    """The history of an entity: created, records linked or moved, merged, unmerged."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        LINKED = "linked", "Record linked"
        UNLINKED = "unlinked", "Record taken out"
        MERGED = "merged", "Merged"
        UNMERGED = "unmerged", "Unmerged"

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    # What changed: record ids, the other entity, probabilities, the run or review.
    detail = models.JSONField(default=dict)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} (entity {self.entity_id})"


class LinkageModel(models.Model):
    """A trained Splink model, as Splink's own JSON settings with its parameters, kept in
    versions: which data it was trained on, and when."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=EntityKind.choices)
    version = models.PositiveIntegerField()
    settings = models.JSONField()
    # What it learned from: record counts per organisation, reviewed pairs used, seed.
    trained_on = models.JSONField(default=dict)
    trained_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partnership", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "kind", "version"], name="one_model_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} linkage model v{self.version}"


class LinkageThresholds(models.Model):
    """Where a partnership draws its lines: at or above `auto_link` a record joins the entity
    by itself; from `review` up to `auto_link` the pair waits for a person; below, the record
    stays its own entity."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=6, choices=EntityKind.choices)
    auto_link = models.FloatField(default=0.95)
    review = models.FloatField(default=0.6)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "kind"], name="one_threshold_pair"),
            models.CheckConstraint(
                condition=Q(review__gte=0)
                & Q(review__lte=models.F("auto_link"))
                & Q(auto_link__lte=1),
                name="thresholds_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} thresholds: review {self.review}, auto-link {self.auto_link}"


class PairStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for review"
    SAME = "same", "The same"
    DIFFERENT = "different", "Not the same"


class CandidatePair(models.Model):
    """Two records the model is unsure about, for a person to decide. A decision is kept:
    the pair is never proposed again, and decided pairs train the next model."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=EntityKind.choices)
    # The two records' ids (person or place records by `kind`), the lower first.
    left_record_id = models.BigIntegerField()
    right_record_id = models.BigIntegerField()
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    # Per comparison (name, date of birth, ...): its level and the weight it contributed.
    evidence = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=PairStatus.choices, default=PairStatus.WAITING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-match_probability", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "kind", "left_record_id", "right_record_id"],
                name="one_pair",
            ),
            models.CheckConstraint(
                condition=Q(left_record_id__lt=models.F("right_record_id")),
                name="pair_in_order",
            ),
        ]
        indexes = [
            models.Index(fields=["partnership", "kind", "status"], name="pairs_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} pair {self.left_record_id}/{self.right_record_id}"


class LinkageRun(models.Model):
    """One bulk linking run started from the hub's pages, run by the background worker: its
    progress while it runs, and its counts (or what went wrong) once it ends."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=EntityKind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=100, blank=True)
    steps_done = models.PositiveSmallIntegerField(default=0)
    steps_total = models.PositiveSmallIntegerField(default=5)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The run's counts (records, entities, links made, pairs queued, ...) once it finishes.
    outcome = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]

    def __str__(self) -> str:
        return f"Linking {self.kind} records of {self.partnership_id}: {self.status}"
