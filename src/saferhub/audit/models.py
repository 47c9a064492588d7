"""The audit trail: who saw or did what, append-only and hash-chained.

Events are written only by `saferhub.audit.services.audit_record`. The database refuses to
change or remove them (triggers, see migration 0002); the guards below say so earlier, in
Python, for code that tries through the ORM.
"""

from django.conf import settings
from django.db import models

# The previous hash of the first event.
GENESIS_HASH = "0" * 64


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit event through the ORM."""


def _refuse(what: str) -> None:
    raise AuditTrailIsAppendOnly(
        f"The audit trail is append-only: {what} is refused. "
        "Write events with saferhub.audit.services.audit_record."
    )


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse("updating audit events")

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse("updating audit events")

    def delete(self):
        _refuse("deleting audit events")

    def _raw_delete(self, using):
        _refuse("deleting audit events")


class AuditEvent(models.Model):
    """One thing someone did or saw; one event per record disclosed."""

    sequence = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    # Null for events the hub itself records, with no person behind them.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Copied, so that the event reads the same after the user or organisation changes.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_organisation = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=40)
    purpose = models.CharField(max_length=20, blank=True)
    record_type = models.CharField(max_length=40, blank=True)
    record_id = models.BigIntegerField(null=True)
    partnership_code = models.CharField(max_length=60, blank=True)
    owner_code = models.CharField(max_length=60, blank=True)
    level = models.CharField(max_length=20, blank=True)
    basis = models.CharField(max_length=40, blank=True)
    protocol_code = models.CharField(max_length=60, blank=True)
    protocol_version = models.PositiveIntegerField(null=True)
    detail = models.JSONField(default=dict, blank=True)
    # Unique: two events following the same one would be a fork of the chain, which the
    # lock on the head prevents; the constraint makes sure of it.
    previous_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["partnership_code", "sequence"], name="audit_event_partnership"),
            models.Index(fields=["partnership_code", "actor_username"], name="audit_event_actor"),
            models.Index(
                fields=["partnership_code", "record_type", "record_id"], name="audit_event_record"
            ),
            models.Index(fields=["occurred_at"], name="audit_event_occurred_at"),
        ]

    def __str__(self) -> str:
        return f"Audit event {self.sequence}: {self.actor_username or 'the hub'} {self.action}"

    def save(self, *args, **kwargs):
        _refuse("saving an audit event one by one")

    def delete(self, *args, **kwargs):
        _refuse("deleting an audit event")


class AuditSubject(models.Model):
    """A person an event is about, by subject key: "every event about this person" is an
    indexed lookup."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="subjects")
    subject_key = models.CharField(max_length=64, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    def __str__(self) -> str:
        return self.subject_key

    def save(self, *args, **kwargs):
        _refuse("saving an audit subject one by one")

    def delete(self, *args, **kwargs):
        _refuse("deleting an audit subject")


class AuditChainHead(models.Model):
    """The one row that records where the chain ends.

    Writers lock it, so they append one after another; `saferhub audit verify` compares it
    with the last event, which reveals events removed from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_one_head")]

    def __str__(self) -> str:
        return f"Audit chain head at event {self.last_sequence}"
