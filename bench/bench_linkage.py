"""Linking people across partners: pairwise F1 on a labelled population, time, memory, arrival.

The target (issue 5): on partner-style records of the same synthetic people with realistic
corruption (bench/linkage_population.py: typos, nicknames, swapped names, day and month
transposed, missing or partial dates of birth, moved house, each partner's address format,
twins and same-name neighbours), the hub's links at the partnership's auto-link threshold score
pairwise F1 ≥ 0.97 at 10,000 people and ≥ 0.95 at 1,000,000, shown beside a plain baseline
(exact match on folded given name, family name and date of birth) from the same run; the full
link of 1,000,000 people's records takes at most 5 minutes and 6 GiB; and one new record is
matched against the linked records in p95 ≤ 20 ms, the database fetch included.

Training and bulk linking each run in a child process of their own, so that the peak resident
memory measured is theirs. BENCH_LINKAGE_PEOPLE="10000" (sizes, comma-separated) chooses the
sizes; the default is both. The machine's two cores are shared: expect noise in the timings.
"""

import datetime
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import linkage_population as population
from bench.measure import Result, median, percentile
from saferhub.demo.partnership_files import demo_partnership_files
from saferhub.hub.planner import planner_statistics_refresh
from saferhub.partnerships.models import Organisation, Partnership
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply
from saferhub.people.models import PersonAddress, PersonRecord

ARRIVALS = 200
LINK_SECONDS = 300
LINK_MIB = 6144
ARRIVAL_MS = 20
PARTNERSHIP = "dundee"


def _sizes() -> list[int]:
    given = os.environ.get("BENCH_LINKAGE_PEOPLE")
    return [int(n) for n in given.split(",")] if given else [10_000, 1_000_000]


def _f1_target(people: int) -> float:
    return 0.97 if people <= 10_000 else 0.95


def _partnership() -> tuple[Partnership, list[int]]:
    """The demo's Dundee partnership, whose members include the five partners."""
    for document in demo_partnership_files(size="small", today=datetime.date.today()):
        partnership_apply(document=validate_partnership_data(document))
    ids = dict(Organisation.objects.filter(code__in=population.PARTNERS).values_list("code", "pk"))
    return Partnership.objects.get(code=PARTNERSHIP), [ids[c] for c in population.PARTNERS]


LINKAGE_TABLES = [
    "linkage_recordlink",
    "linkage_entityevent",
    "linkage_candidatepair",
    "linkage_linkagemodel",
    "linkage_entity",
]
PEOPLE_TABLES = ["people_personaddress", "people_personrecordrevision", "people_personrecord"]


def clear() -> None:
    """Empty the linkage and person tables, so that each size starts from nothing."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(LINKAGE_TABLES + PEOPLE_TABLES)} CASCADE")


def _positions(truth: population.Truth, record_ids: np.ndarray) -> np.ndarray:
    positions = np.searchsorted(truth.record_id, record_ids)
    positions = np.clip(positions, 0, max(len(truth) - 1, 0))
    found = truth.record_id[positions] == record_ids
    return np.where(found, positions, -1)


def baseline_labels(truth: population.Truth) -> np.ndarray:
    """The plain baseline's clusters: records with the same folded given name, family name
    and date of birth (to the same precision) are one person; a record with no date of birth
    is alone. A label per record of `truth`, in its order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, dense_rank() OVER (ORDER BY given_key, family_key, date_of_birth, "
            "date_of_birth_precision), date_of_birth IS NULL FROM people_personrecord "
            "WHERE id >= %s AND id <= %s",
            [int(truth.record_id.min()), int(truth.record_id.max())],
        )
        rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    labels = -truth.record_id.copy()
    at = _positions(truth, rows[:, 0])
    wanted = at >= 0
    labels[at[wanted]] = np.where(rows[wanted, 2] == 1, -rows[wanted, 0], rows[wanted, 1])
    return labels


def hub_labels(partnership: Partnership, truth: population.Truth) -> np.ndarray:
    """The hub's clusters: the entity each record is linked to in the partnership (merged
    entities followed to the one they became); a record with no link is alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, merged_into_id FROM linkage_entity "
            "WHERE partnership_id = %s AND merged_into_id IS NOT NULL",
            [partnership.pk],
        )
        merged = dict(cursor.fetchall())
        cursor.execute(
            "SELECT person_record_id, entity_id FROM linkage_recordlink "
            "WHERE partnership_id = %s AND person_record_id IS NOT NULL",
            [partnership.pk],
        )
        links = cursor.fetchall()
    if merged:
        for index, (record, entity) in enumerate(links):
            while entity in merged:
                entity = merged[entity]
            links[index] = (record, entity)
    rows = np.array(links, dtype=np.int64).reshape(-1, 2)
    labels = -truth.record_id.copy()
    at = _positions(truth, rows[:, 0])
    wanted = at >= 0
    labels[at[wanted]] = rows[wanted, 1]
    return labels


CHILD = """
import json, sys, time
import django
django.setup()
from saferhub.partnerships.models import Partnership
step, pk = sys.argv[1], int(sys.argv[2])
partnership = Partnership.objects.get(pk=pk)
start = time.perf_counter()
if step == "train":
    from saferhub.linkage.training import linkage_model_train
    outcome = linkage_model_train(partnership=partnership, kind="person")
else:
    from saferhub.linkage.linking import link_bulk

    def progress(step, done, total):
        seconds = time.perf_counter() - start
        print(f"    link: {step} ({seconds:.0f} s)", file=sys.stderr, flush=True)

    outcome = link_bulk(partnership=partnership, kind="person", on_progress=progress)
print(json.dumps({"seconds": time.perf_counter() - start, "outcome": repr(outcome)[:500]}))
"""


def _child_database_url() -> str:
    database = connection.settings_dict
    return (
        f"postgresql://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}"
        f":{database['PORT'] or 5432}/{database['NAME']}"
    )


def in_child(step: str, partnership: Partnership) -> tuple[dict, float]:
    """Train or link in a child process on this database: its result and peak memory (MiB).
    The child is stopped after BENCH_LINKAGE_TIMEOUT seconds (default an hour)."""
    env = {**os.environ, "DATABASE_URL": _child_database_url()}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, step, str(partnership.pk)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    timer = threading.Timer(float(os.environ.get("BENCH_LINKAGE_TIMEOUT", 3600)), child.kill)
    timer.start()
    output = child.stdout.read()
    timer.cancel()
    # wait4 rather than wait: it gives this child's own resource usage, peak memory included.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"the {step} process failed ({child.returncode})")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def arrival_timings(partnership: Partnership, record_ids: np.ndarray) -> list[float]:
    """Milliseconds to fetch each new record and match it against the linked records.
    BENCH_LINKAGE_SLOWEST="10" prints that many of the slowest arrivals, each with its
    candidates and its queries' times (COMMIT included), to see where the tail comes from."""
    from saferhub.linkage.linking import record_link_on_arrival

    slowest = int(os.environ.get("BENCH_LINKAGE_SLOWEST", "0"))
    samples, accounts = [], []
    for record_id in record_ids:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            record = PersonRecord.objects.get(pk=int(record_id))
            outcome = record_link_on_arrival(partnership=partnership, kind="person", record=record)
            samples.append((time.perf_counter() - start) * 1000)
        if slowest:
            spent = ", ".join(
                f"{query['sql'][:12]} {float(query['time']) * 1000:.0f}"
                for query in queries.captured_queries
            )
            accounts.append((samples[-1], f"{outcome.candidates} candidates; ms: {spent}"))
    for milliseconds, account in sorted(accounts, reverse=True)[:slowest]:
        print(f"    arrival {milliseconds:.1f} ms: {account}", flush=True)
    return samples


def _scores(label: str, scores: population.Scores, target: float = 0.0) -> list[Result]:
    return [
        Result(f"{label}: precision", scores.precision, "", 0, "min"),
        Result(f"{label}: recall", scores.recall, "", 0, "min"),
        Result(f"{label}: F1", scores.f1, "", target, "min"),
    ]


def _threshold(partnership: Partnership) -> float:
    from saferhub.linkage.linking import thresholds_of

    return thresholds_of(partnership, "person").auto_link


def measure(people: int, partnership: Partnership, organisation_ids: list[int]) -> list[Result]:
    label = f"{people:,} people"
    clear()
    start = time.perf_counter()
    truth, held = population.load(people, organisation_ids, hold_out=ARRIVALS)
    # As an import of this many records does when it ends (the population is written directly).
    planner_statistics_refresh([PersonRecord, PersonAddress], len(truth))
    loaded = time.perf_counter() - start
    print(
        f"  ({label}: {len(truth):,} records made and stored in {loaded:.1f} s, "
        f"{len(np.unique(truth.person)):,} people recorded; {len(held.truth)} held back)",
        flush=True,
    )
    results = [Result(f"make and store {len(truth):,} records, {label}", loaded, "s", 0, "min")]
    results += _scores(
        f"baseline, {label}", population.pairwise_scores(baseline_labels(truth), truth.person)
    )
    try:
        trained, train_peak = in_child("train", partnership)
        linked, link_peak = in_child("link", partnership)
    except RuntimeError as error:
        print(f"  ({label}: {error})", flush=True)
        return [*results, Result(f"bulk link, {label} ({error})", float("inf"), "s", LINK_SECONDS)]
    print(f"  (training: {trained['outcome']}; link: {linked['outcome']})", flush=True)
    hub_clusters = hub_labels(partnership, truth)
    hub = population.pairwise_scores(hub_clusters, truth.person)
    threshold = _threshold(partnership)
    traps = {
        name: population.wrong_pairs_among(hub_clusters, truth.person, (truth.flags & bit) != 0)
        for name, bit in (
            ("twins", population.TWIN),
            ("same-name neighbours", population.SAME_NAME_NEIGHBOUR),
        )
    }
    print(
        f"  (hub: {hub.correct_pairs:,} of {hub.predicted_pairs:,} pairs right, "
        f"{hub.true_pairs:,} true pairs; wrongly joined: "
        + ", ".join(f"{count:,} pairs of {name}" for name, count in traps.items())
        + ")",
        flush=True,
    )
    results += _scores(f"hub at auto-link {threshold:g}, {label}", hub, _f1_target(people))
    results += [
        Result(f"training, {label}", trained["seconds"], "s", 0, "min"),
        Result(f"peak memory, training, {label}", train_peak, "MiB", 0, "min"),
        Result(f"bulk link, {label}", linked["seconds"], "s", LINK_SECONDS),
        Result(f"peak memory, bulk link, {label}", link_peak, "MiB", LINK_MIB),
    ]
    arrived = held.store()
    samples = arrival_timings(partnership, arrived.record_id)
    results += [
        Result(f"arrival match p50, {label}", median(samples), "ms", 0, "min"),
        Result(f"arrival match p95, {label}", percentile(samples, 0.95), "ms", ARRIVAL_MS),
    ]
    everyone = population.join_truths([truth, arrived])
    after = population.pairwise_scores(hub_labels(partnership, everyone), everyone.person)
    results.append(Result(f"hub F1 after {len(arrived)} arrivals, {label}", after.f1, "", 0, "min"))
    return results


def run() -> list[Result]:
    if connection.vendor != "postgresql":
        # The children must reach the database the parent made: a file or a server, not the
        # in-memory SQLite database Django's test runner makes.
        return [Result("linkage benchmark needs PostgreSQL (DATABASE_URL)", 0, "", 0, "min")]
    partnership, organisation_ids = _partnership()
    results: list[Result] = []
    try:
        for people in _sizes():
            results += measure(people, partnership, organisation_ids)
    finally:
        clear()
    return results
