"""The shared incident list at scale: 1,000,000 incidents, 12 organisations, 6 protocols.

Measures the first page (50, newest first, one theme filter) for a partner organisation's
user, through the sharing engine, against the same query with no sharing rules at all (what
the owner's database administrator would run), in the same run. Also the detail of one
incident through the API, with and without writing its audit event.
PostgreSQL only: set DATABASE_URL (make bench does).
"""

import os
import time

from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.incident_population import add_relevant_partners, bench_partnership, sql_arrays
from bench.measure import Result, median, percentile, timings_ms
from saferhub.incidents import services as incident_services
from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import IncidentFilters, incidents_visible_to, with_details
from saferhub.partnerships.models import (
    Organisation,
    Partnership,
    RoleAssignment,
    Theme,
    User,
)
from saferhub.partnerships.themes import has_theme
from saferhub.sharing.engine import reader_for
from saferhub.sharing.redaction import incident_as_seen

ROWS = int(os.environ.get("BENCH_INCIDENTS", "1000000"))
REPEAT = 200


def _load(partnership: Partnership, organisations: list[Organisation]) -> float:
    """A million incidents in set-based SQL: owners, times, themes and partners spread out."""
    owners, bits = sql_arrays(organisations)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        # One theme for every incident, a second for a third of them.
        cursor.execute(
            f"""
            INSERT INTO incidents_incident
              (partnership_id, owner_id, category, theme_mask, occurred_at, reported_at,
               address, postcode, data_zone, vulnerability_flags, narrative, risk, restricted,
               created_at, updated_at)
            SELECT %s, (ARRAY[{owners}])[1 + (i * 7919) %% 12], 'noise',
                   (1::bigint << (ARRAY[{bits}])[1 + (i * 31) %% 8])
                   | CASE WHEN i %% 3 = 0
                          THEN 1::bigint << (ARRAY[{bits}])[1 + (i * 17 + 3) %% 8]
                          ELSE 0 END,
                   now() - (i * interval '61 seconds'), now() - (i * interval '61 seconds'),
                   i || ' Bench Street', 'DD1 1AA', 'S0100' || (i %% 9000), '[]',
                   'Narrative of incident ' || i, 'green', (i %% 25 = 0), now(), now()
            FROM generate_series(1::bigint, %s) AS i
            """,
            [partnership.pk, ROWS],
        )
        add_relevant_partners(cursor, partnership, owners)
        cursor.execute("ANALYZE")
    return time.perf_counter() - start


def _user(partnership, organisation, username) -> User:
    user = User.objects.create_user(username, organisation=organisation)
    RoleAssignment.objects.create(user=user, partnership=partnership, role="practitioner")
    return user


def _api_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def run() -> list[Result]:
    if connection.vendor != "postgresql":
        print("  skipped: this benchmark needs PostgreSQL (set DATABASE_URL)")
        return []
    partnership, organisations, _ = bench_partnership(in_force_for_days=400)
    seconds = _load(partnership, organisations)
    print(f"  loaded {ROWS:,} incidents in {seconds:.1f} s")
    partner = _user(partnership, organisations[3], "bench.partner")
    owner = _user(partnership, organisations[0], "bench.owner")
    theme = Theme.objects.get(code="asb", partnership=None)

    def first_page(user):
        reader = reader_for(user, "tasking")
        visible = incidents_visible_to(
            reader=reader, filters=IncidentFilters(partnership="bench", theme="asb")
        )
        page = list(with_details(visible[:50]))
        assert len(page) == 50

    def partner_first_page():
        first_page(partner)

    def owner_first_page():
        first_page(owner)

    def no_rules_first_page():
        plain = (
            Incident.objects.filter(partnership=partnership)
            .filter(has_theme("theme_mask", theme.bit))
            .select_related("partnership", "owner")
            .order_by("-occurred_at", "-id")
        )
        page = list(with_details(plain[:50]))
        assert len(page) == 50

    baseline = timings_ms(no_rules_first_page, REPEAT)
    shared = timings_ms(partner_first_page, REPEAT)
    owners = timings_ms(owner_first_page, REPEAT)

    # The detail of another organisation's incident the partner may see, through the API.
    reader = reader_for(partner, "tasking")
    target = (
        incidents_visible_to(reader=reader, filters=IncidentFilters(theme="asb"))
        .exclude(owner=organisations[3])
        .first()
    )
    client = _api_client(partner)
    url = f"/api/v1/incidents/{target.pk}"

    def detail():
        response = client.get(url)
        assert response.status_code == 200

    with_audit = timings_ms(detail, REPEAT)
    real_record = incident_services.audit_record
    incident_services.audit_record = lambda **kwargs: []
    try:
        without_audit = timings_ms(detail, REPEAT)
    finally:
        incident_services.audit_record = real_record
    assert incident_as_seen  # the API shapes the record through redaction in both runs

    return [
        Result("list, no sharing rules: p50", median(baseline), "ms", 100),
        Result("list, partner through the engine: p50", median(shared), "ms", 100),
        Result("list, partner through the engine: p95", percentile(shared, 0.95), "ms", 100),
        Result("list, owner's user through the engine: p50", median(owners), "ms", 100),
        Result("list p50 ratio, partner / owner's user", median(shared) / median(owners), "x", 1.5),
        Result(
            "list p50 ratio, partner / no rules at all", median(shared) / median(baseline), "x", 1.5
        ),
        Result("detail with audit: p50", median(with_audit), "ms", 100),
        Result(
            "detail p50 ratio, with / without audit",
            median(with_audit) / median(without_audit),
            "x",
            1.3,
        ),
    ]
