"""Fixtures of the audit trail's tests: auditors, and writing or tampering with events."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test import Client

from saferhub.audit.services import Disclosure, audit_record
from saferhub.partnerships.models import Organisation, User
from tests.conftest import add_user, log_in

AUDIT_TABLES = ("audit_auditevent", "audit_auditsubject", "audit_auditchainhead")


@pytest.fixture
def jo(fife) -> User:
    """A Fife police practitioner (no password: these tests log in without one)."""
    return User.objects.get(username="jo.smith")


@pytest.fixture
def auditor(fife) -> User:
    """A Fife auditor, from the council."""
    return add_user(
        "lorna.martin",
        partnership=fife,
        organisation=Organisation.objects.get(code="fife-council-asb"),
        roles=["auditor"],
        password=None,  # hashing one with Argon2 takes longer than most of these tests
    )


@pytest.fixture
def auditor_client(auditor) -> Client:
    client = Client()
    log_in(client, auditor)
    return client


def disclosure(record_id: int, **overrides) -> Disclosure:
    """An incident of Fife's police shown at the personal level under fife-isp version 3."""
    fields = {
        "record_type": "incident",
        "record_id": record_id,
        "partnership_code": "fife",
        "owner_code": "police-fife",
        "level": "personal",
        "basis": "protocol",
        "protocol_code": "fife-isp",
        "protocol_version": 3,
        **overrides,
    }
    return Disclosure(**fields)


def record(
    actor: User | None,
    *disclosures: Disclosure,
    at: datetime.datetime | None = None,
    action: str = "read",
    **kwargs,
):
    """audit_record, optionally as if at another moment."""
    if at is None:
        return audit_record(
            actor=actor, action=action, purpose="tasking", disclosures=disclosures, **kwargs
        )
    with mock.patch("django.utils.timezone.now", return_value=at):
        return audit_record(
            actor=actor, action=action, purpose="tasking", disclosures=disclosures, **kwargs
        )


def lift_append_only() -> None:
    """Take away the database's refusal to change audit events, as someone tampering would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Pending foreign-key checks from this test's inserts would stop ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for (name,) in cursor.fetchall():
                if name.startswith("audit_"):
                    cursor.execute(f'DROP TRIGGER "{name}"')


def raw_sql(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
