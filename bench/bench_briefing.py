"""The daily briefing at scale: one reader's version over 1,000,000 incidents in five years.

A partnership of 12 organisations and 6 protocols holds a million incidents over five years
(about 550 a day), each with a victim and a third with a perpetrator; a third of the places
and half of the people are held as records, linked in pairs into entities; 100 addresses and
50 people come back again and again, so the briefing has repeats to find. There are 20,000
referrals and 5,000 actions. Measures one partner user's whole version of today's briefing
(counts, the window's incidents, repeat places and people over 28 days, vulnerability,
referrals, actions and the audit events for what it shows), as the page builds it, and the
whole page through the test client. PostgreSQL only: set DATABASE_URL.
"""

import datetime
import os
import time

from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.incident_population import add_relevant_partners, bench_partnership, sql_arrays
from bench.measure import Result, median, timings_ms
from saferhub.actions.models import Action
from saferhub.briefings.models import BriefingStatus, MadeBy
from saferhub.briefings.selectors import briefing_for_reader, briefing_reader
from saferhub.briefings.services import briefing_make, briefing_reads_record
from saferhub.partnerships.models import (
    Organisation,
    Partnership,
    RoleAssignment,
    Theme,
    User,
)
from saferhub.referrals.models import ReferralType
from saferhub.sharing.models import Protocol

ROWS = int(os.environ.get("BENCH_INCIDENTS", "1000000"))
REPEAT = 7
# Five years, spread evenly: the seconds between one incident and the next.
STEP_SECONDS = 5 * 365 * 24 * 3600 // ROWS
PERSON_RECORDS = 100_000
PLACE_RECORDS = 30_000


def _load(partnership: Partnership, organisations: list[Organisation], core: Protocol) -> float:
    """Everything in set-based SQL, as the incident list benchmark loads its million."""
    owners, bits = sql_arrays(organisations)
    p = partnership.pk
    kind = ReferralType.objects.create(partnership=partnership, code="visit", name="Home visit")
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO places_placerecord
              (organisation_id, source_ref, address_line_1, address_line_2, town, postcode,
               uprn, property_type, data_zone, resolved_by, address_key, import_fingerprint,
               created_at, updated_at)
            SELECT (ARRAY[{owners}])[1 + (k * 7) %% 12], 'PL' || k, k || ' Record Road', '',
                   'Bench', 'DD1 2AA', '', '', 'S0100' || (k %% 900), '', '', '', now(), now()
            FROM generate_series(1, %s) AS k
            """,
            [PLACE_RECORDS],
        )
        cursor.execute(
            f"""
            INSERT INTO people_personrecord
              (organisation_id, source_ref, given_name, family_name, other_names,
               date_of_birth, date_of_birth_precision, sex, chi_number, phone, email,
               given_key, family_key, other_keys, import_fingerprint, created_at, updated_at)
            SELECT (ARRAY[{owners}])[1 + (k * 11) %% 12], 'PR' || k, 'Given' || (k %% 4000),
                   'Family' || k, '[]', date '1950-01-01' + (k %% 20000)::int, 'day', 'female',
                   '', '', '', '', '', '', '', now(), now()
            FROM generate_series(1, %s) AS k
            """,
            [PERSON_RECORDS],
        )
        # Records linked in pairs: each entity gathers two organisations' records.
        for table, kind_, column in (
            ("places_placerecord", "place", "place_record_id"),
            ("people_personrecord", "person", "person_record_id"),
        ):
            cursor.execute(
                f"""
                WITH numbered AS (
                  SELECT id, row_number() OVER (ORDER BY id) AS n FROM {table}
                ), entities AS (
                  INSERT INTO linkage_entity (partnership_id, kind, created_at, updated_at)
                  SELECT %s, %s, now(), now() FROM numbered WHERE n %% 2 = 1
                  RETURNING id
                ), paired AS (
                  SELECT id, row_number() OVER (ORDER BY id) AS n FROM entities
                )
                INSERT INTO linkage_recordlink
                  (entity_id, partnership_id, {column}, match_probability, linked_by, linked_at)
                SELECT paired.id, %s, numbered.id, 0.95, 'bulk', now()
                FROM numbered JOIN paired ON paired.n = (numbered.n + 1) / 2
                """,
                [p, kind_, p],
            )
        cursor.execute(
            "SELECT min(id) FROM places_placerecord UNION ALL SELECT min(id) FROM "
            "people_personrecord"
        )
        first_place, first_person = (row[0] for row in cursor.fetchall())
        # 1 incident in 20 at one of 100 "hot" addresses; a third at a place record.
        cursor.execute(
            f"""
            INSERT INTO incidents_incident
              (partnership_id, owner_id, category, theme_mask, occurred_at, reported_at,
               address, postcode, data_zone, vulnerability_flags, narrative, risk, restricted,
               place_record_id, import_fingerprint, created_at, updated_at)
            SELECT %s, (ARRAY[{owners}])[1 + (i * 7919) %% 12], 'noise',
                   (1::bigint << (ARRAY[{bits}])[1 + (i * 31) %% 8])
                   | CASE WHEN i %% 3 = 0
                          THEN 1::bigint << (ARRAY[{bits}])[1 + (i * 17 + 3) %% 8]
                          ELSE 0 END,
                   now() - (i * interval '{STEP_SECONDS} seconds'),
                   now() - (i * interval '{STEP_SECONDS} seconds'),
                   CASE WHEN i %% 20 = 0 THEN 'Flat ' || ((i / 20) %% 100) || ' Repeat Court'
                        ELSE (i %% 60000) || ' Bench Street' END,
                   'DD1 1AA', 'S0100' || (i %% 900),
                   (CASE WHEN i %% 10 = 0 THEN '["older_person"]' ELSE '[]' END)::jsonb,
                   'Narrative of incident ' || i, 'green', (i %% 25 = 0),
                   CASE WHEN i %% 3 = 1 THEN %s + (i * 13) %% {PLACE_RECORDS} END,
                   '', now(), now()
            FROM generate_series(1::bigint, %s) AS i
            """,
            [p, first_place, ROWS],
        )
        add_relevant_partners(cursor, partnership, owners)
        # A victim in every incident (one in 25 among 50 people who keep coming back; half
        # held as person records), a perpetrator in a third.
        cursor.execute(
            f"""
            INSERT INTO incidents_incidentperson
              (incident_id, role, given_name, family_name, date_of_birth, sex, person_record_id)
            SELECT id, 'victim',
                   CASE WHEN id %% 25 = 0 THEN 'Hot' ELSE 'Given' || (id %% 4000) END,
                   CASE WHEN id %% 25 = 0 THEN 'Victim' || ((id / 25) %% 50)
                        ELSE 'Victim' || id END,
                   CASE WHEN id %% 25 = 0 THEN date '1980-01-01' + ((id / 25) %% 50)::int
                        ELSE date '1950-01-01' + (id %% 20000)::int END, 'female',
                   CASE WHEN id %% 2 = 0 AND id %% 25 <> 0
                        THEN %s + (id * 7) %% {PERSON_RECORDS} END
            FROM incidents_incident WHERE partnership_id = %s
            """,
            [first_person, p],
        )
        cursor.execute(
            """
            INSERT INTO incidents_incidentperson
              (incident_id, role, given_name, family_name, date_of_birth, sex)
            SELECT id, 'perpetrator', 'Perp', 'Person' || (id %% 6000), NULL, 'male'
            FROM incidents_incident WHERE partnership_id = %s AND id %% 3 = 0
            """,
            [p],
        )
        cursor.execute(
            f"""
            INSERT INTO referrals_referral
              (partnership_id, owner_id, recipient_id, referral_type_id, theme_mask, urgency,
               reason, incident_id, lawful_basis, protocol_id, consent_given_by,
               consent_given_how, consent_capacity_note, vital_interests_reason, status,
               sent_at, due_at, decline_reason, outcome, restricted, updated_at)
            SELECT %s, (ARRAY[{owners}])[1 + k %% 6], (ARRAY[{owners}])[1 + (k + 1) %% 6],
                   %s, 1::bigint << (ARRAY[{bits}])[1], 'amber', 'Reason ' || k,
                   (SELECT min(id) FROM incidents_incident) + k %% {ROWS}, 'protocol', %s,
                   '', '', '', '', (ARRAY['sent','accepted','completed','declined'])[1 + k %% 4],
                   now() - (k * interval '2 hours'), now() - (k * interval '2 hours')
                     + interval '3 days', '', '', false, now()
            FROM generate_series(1, 20000) AS k
            """,
            [p, kind.pk, core.pk],
        )
        cursor.execute("ANALYZE")
    today = timezone.localdate()
    asb = 1 << Theme.objects.get(code="asb", partnership=None).bit
    Action.objects.bulk_create(
        Action(
            partnership=partnership,
            owner=organisations[k % 6],
            assignee_organisation=organisations[(k + 2) % 6],
            title=f"Action {k}",
            theme_mask=asb,
            due_on=today - datetime.timedelta(days=k % 400),
            status="open" if k % 3 else "done",
        )
        for k in range(5000)
    )
    return time.perf_counter() - start


def _user(partnership, organisation, username, role="practitioner") -> User:
    user = User.objects.create_user(username, organisation=organisation)
    RoleAssignment.objects.create(user=user, partnership=partnership, role=role)
    return user


def _client(user: User) -> Client:
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
    partnership, organisations, (core, *_) = bench_partnership(
        in_force_for_days=2000, for_referral=True
    )
    seconds = _load(partnership, organisations, core)
    print(f"  loaded {ROWS:,} incidents over five years in {seconds:.1f} s")
    partner = _user(partnership, organisations[3], "bench.partner")
    _user(partnership, organisations[0], "bench.coordinator", role="coordinator")
    # The latest briefing whose window is over, so that it holds a whole day of incidents.
    today = timezone.localdate()
    if timezone.localtime().time() < datetime.time(7, 0):
        today -= datetime.timedelta(days=1)
    briefing = briefing_make(partnership=partnership, for_date=today, made_by=MadeBy.COMMAND)
    briefing.status = BriefingStatus.PUBLISHED
    briefing.save()

    shown = {}

    def version():
        reader = briefing_reader(partner, briefing)
        content = briefing_for_reader(reader, briefing)
        shown["audited"] = briefing_reads_record(
            reader=reader,
            briefing=briefing,
            incidents=content.shown_incidents,
            referrals=content.shown_referrals,
            actions=content.shown_actions,
        )
        shown["content"] = content

    samples = timings_ms(version, REPEAT, warm_up=1)
    content = shown["content"]
    print(
        f"  the partner's version: {content.total} incidents counted, {len(content.incidents)} "
        f"listed (+{content.incidents_more}), {len(content.repeat_places)} repeat places, "
        f"{sum(len(v) for v in content.repeat_people.values())} repeat people, "
        f"{len(content.vulnerable)} flagged, {len(content.new_referrals)} new and "
        f"{len(content.overdue_referrals)} overdue referrals, {len(content.actions_due)} actions "
        f"due; {shown['audited']} disclosures audited per read"
    )
    client = _client(partner)
    url = f"/partnerships/bench/briefing/{briefing.for_date}/"

    def page():
        response = client.get(url)
        assert response.status_code == 200

    pages = timings_ms(page, REPEAT, warm_up=1)
    return [
        Result("one reader's briefing, built + audited: p50", median(samples) / 1000, "s", 2),
        Result("the briefing page, whole request: p50", median(pages) / 1000, "s", 2),
    ]
