"""The hub's place linkage against the MoJ's uk-address-matcher, on the demo's full export.

Issue 5 asks whether the hub should link addresses with its own model (UPRN decides, else the
normalised address within the postcode: docs/linkage.md) or with uk-address-matcher, a
pretrained Splink model that matches each address to a canonical address list such as OS
AddressBase. This script measures both on the same place records against the demo's answer key,
and docs/linkage.md ("Addresses: the hub's model or uk-address-matcher?") reports what it
printed. It is run by hand, never by the benchmark runner (its name is not bench_*.py), and
nothing imports it.

uk-address-matcher pins splink<5 and duckdb<2, the hub needs splink 5, so the script runs in
two steps, each in its own virtualenv, and passes CSV files between them:

    # 0. The demo's full export, its answer key and a scratch database (not the hub's own);
    #    SAFERHUB_VAR_DIR keeps the files out of the repo's var/:
    cd /work/main
    export DEBUG=true DATABASE_URL=sqlite:////tmp/uam/db.sqlite3 SAFERHUB_VAR_DIR=/tmp/uam
    .venv/bin/saferhub demo --exports full       # exports under /tmp/uam/demo-exports/full/

    # 1. Hub side (the hub's venv, the same DATABASE_URL): relink the places of Dundee with a
    #    newly trained model (timed), then write the place records with the entity each is in,
    #    and the address register (every place of the demo's true population, as AddressBase
    #    would list them) to WORK:
    .venv/bin/python bench/compare_address_matcher.py hub --work /tmp/uam/work

    # 2. Matcher side (a venv of its own outside the repo):
    python3 -m venv /tmp/uam-venv
    /tmp/uam-venv/bin/pip install uk-address-matcher==1.5.3    # splink 4.0.x, duckdb 1.5.x
    /tmp/uam-venv/bin/python bench/compare_address_matcher.py match --work /tmp/uam/work \\
        --answer-key /tmp/uam/demo-exports/full/answer-key

    # Optionally, the hub once the town is out of the fire service's address line 1 (step 1
    # with --move-town changes the database it is given, so give it a copy):
    cp /tmp/uam/db.sqlite3 /tmp/uam/db-town.sqlite3
    DATABASE_URL=sqlite:////tmp/uam/db-town.sqlite3 .venv/bin/python \
        bench/compare_address_matcher.py hub --work /tmp/uam/work-town --move-town
    /tmp/uam-venv/bin/python bench/compare_address_matcher.py match --work /tmp/uam/work-town \
        --answer-key /tmp/uam/demo-exports/full/answer-key

Step 1 writes WORK/records.csv (one row per place record: organisation, source_ref, the address
as recorded, postcode, UPRN, the hub's entity), WORK/register.csv (uprn, place_id,
address_concat, postcode, property_type) and WORK/hub.json (the relink's time). Step 2 reads
those and the answer key's places.csv, matches every record in the answer key to the register
with uk-address-matcher (records matched to the same register entry are linked; a record
matched to none is alone), and prints, for each method, the pairwise precision, recall and F1
over pairs of records (the same measure as docs/linkage.md "Measured"), the share of records
matched to their true place where a method names one, and the time taken.

The register is the demo's truth, so it is perfect: every place a record names is in it, spelt
right, with the right postcode. A real AddressBase extract is very good but not that; the
comparison flatters uk-address-matcher.
"""

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

PARTNERSHIP = "dundee"
SEED = 2026


# Step 1: the hub's side ------------------------------------------------------------------


def hub_side(work: Path, relink: bool, move_town: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferhub.settings")
    import django

    django.setup()
    from saferhub.demo.events import FULL_PEOPLE
    from saferhub.demo.population import population_build
    from saferhub.demo.services import demo_exports_day, demo_postcode_points
    from saferhub.linkage.linking import link_bulk
    from saferhub.linkage.models import EntityKind, RecordLink
    from saferhub.partnerships.models import Partnership

    work.mkdir(parents=True, exist_ok=True)
    partnership = Partnership.objects.get(code=PARTNERSHIP)
    timing: dict[str, float] = {}
    if move_town:
        # The fire service writes the town into address line 1 ("23 Lochee Rd, Dundee"), which
        # the hub's address key keeps (it leaves out only the town column). Move it, as the
        # fire service's mapping profile could, to see what the hub scores without it.
        from saferhub.places.models import PlaceRecord

        moved = 0
        for record in PlaceRecord.objects.filter(address_line_1__iendswith=", dundee"):
            record.address_line_1 = record.address_line_1[: -len(", dundee")]
            record.town = record.town or "Dundee"
            record.save(update_fields=["address_line_1", "town"])
            moved += 1
        print(f"hub: moved the town out of address line 1 of {moved:,} records")
    if relink:
        started = time.perf_counter()
        result = link_bulk(partnership=partnership, kind=EntityKind.PLACE, retrain=True)
        timing = {"seconds": time.perf_counter() - started, "link_seconds": result.seconds}
        print(
            f"hub: relinked {result.records:,} place records into {result.entities:,} entities "
            f"in {timing['seconds']:.1f} s (training included)"
        )
    links = RecordLink.objects.filter(partnership=partnership, place_record__isnull=False)
    with (work / "records.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "organisation",
                "source_ref",
                "address_line_1",
                "address_line_2",
                "town",
                "postcode",
                "uprn",
                "entity_id",
            ]
        )
        for link in links.select_related("place_record__organisation").order_by("id"):
            record = link.place_record
            writer.writerow(
                [
                    record.organisation.code,
                    record.source_ref,
                    record.address_line_1,
                    record.address_line_2,
                    record.town,
                    record.postcode,
                    record.uprn,
                    link.entity_id,
                ]
            )
    population = population_build(
        postcodes=demo_postcode_points(),
        people=FULL_PEOPLE,
        today=demo_exports_day(partnership),
        seed=SEED,
    )
    with (work / "register.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["uprn", "place_id", "address_concat", "postcode", "property_type"])
        for place in population.places:
            writer.writerow(
                [
                    place.uprn,
                    place.id,
                    f"{place.one_line}, Dundee",
                    place.postcode,
                    place.property_type,
                ]
            )
    (work / "hub.json").write_text(json.dumps(timing))
    print(f"hub: wrote {links.count():,} records and {len(population.places):,} register rows")


# Step 2: the matcher's side and the measures ---------------------------------------------


def pairs(clusters: dict[str, str]) -> int:
    """How many pairs of records share a cluster."""
    return sum(n * (n - 1) // 2 for n in Counter(clusters.values()).values())


def pairwise(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 over pairs of records; both map record key to cluster."""
    both = {key: (predicted[key], truth[key]) for key in truth}
    true_positive = pairs({key: f"{p}\x00{t}" for key, (p, t) in both.items()})
    found = pairs({key: p for key, (p, _) in both.items()})
    actual = pairs(truth)
    precision = true_positive / found if found else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_matcher(
    work: Path, records: list[dict], stages: list | None
) -> tuple[dict[str, str], float, Counter]:
    """Each record's register UPRN (records unmatched are left out), the seconds taken and how
    many records each match reason resolved."""
    import duckdb
    from uk_address_matcher import AddressMatcher

    messy_file = work / "messy.csv"
    with messy_file.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["unique_id", "address_concat", "postcode"])
        for record in records:
            parts = (record["address_line_1"], record["address_line_2"], record["town"])
            writer.writerow(
                [record["key"], ", ".join(p for p in parts if p), record["postcode"] or None]
            )
    started = time.perf_counter()
    con = duckdb.connect()
    canonical = con.read_csv(str(work / "register.csv"), all_varchar=True).select(
        "uprn AS unique_id, address_concat, postcode"
    )
    messy = con.read_csv(str(messy_file), all_varchar=True)
    matcher = AddressMatcher(
        canonical_addresses=canonical,
        addresses_to_match=messy,
        con=con,
        stages=stages,
        show_progress="off",
    )
    result = matcher.match()
    rows = result.matches().select("unique_id, resolved_canonical_id, match_reason").fetchall()
    seconds = time.perf_counter() - started
    con.close()
    matched = {str(uid): str(uprn) for uid, uprn, _ in rows if uprn is not None}
    reasons = Counter(reason for _, uprn, reason in rows if uprn is not None)
    return matched, seconds, reasons


def matcher_side(work: Path, answer_key: Path) -> None:
    from importlib.metadata import version

    from uk_address_matcher import (
        ExactMatchStage,
        PeeledAddressStage,
        SplinkStage,
        UniqueTrigramStage,
    )

    truth: dict[str, str] = {}
    with (answer_key / "places.csv").open(newline="") as file:
        for row in csv.DictReader(file):
            truth[f"{row['organisation']}:{row['source_ref']}"] = row["place_id"]
    with (work / "records.csv").open(newline="") as file:
        records = [
            {**row, "key": f"{row['organisation']}:{row['source_ref']}"}
            for row in csv.DictReader(file)
        ]
    records = [r for r in records if r["key"] in truth]
    missing = len(truth) - len(records)
    with (work / "register.csv").open(newline="") as file:
        place_of_uprn = {row["uprn"]: row["place_id"] for row in csv.DictReader(file)}
    hub_timing = json.loads((work / "hub.json").read_text() or "{}")
    print(
        f"uk-address-matcher {version('uk_address_matcher')}, splink {version('splink')}, "
        f"duckdb {version('duckdb')}"
    )
    print(
        f"{len(records):,} place records in the answer key ({missing} not in the hub), "
        f"{len(set(truth.values())):,} true places, {pairs(truth):,} true pairs; "
        f"register of {len(place_of_uprn):,} addresses"
    )
    by_org = Counter(r["organisation"] for r in records)
    with_uprn = Counter(r["organisation"] for r in records if r["uprn"])
    with_postcode = Counter(r["organisation"] for r in records if r["postcode"])
    for org in sorted(by_org):
        print(
            f"  {org}: {by_org[org]:,} records, {with_uprn[org]:,} with a UPRN, "
            f"{with_postcode[org]:,} with a postcode"
        )

    table: list[tuple[str, tuple[float, float, float], str, str]] = []

    def alone(key: str) -> str:
        return f"alone:{key}"

    def correct(uprn_of: dict[str, str]) -> str:
        named = [key for key in uprn_of if key in truth]
        right = sum(1 for key in named if place_of_uprn.get(uprn_of[key]) == truth[key])
        return f"{len(named):,} named, {right / len(records):.1%} right of all"

    hub = {r["key"]: f"entity:{r['entity_id']}" for r in records}
    hub_seconds = hub_timing.get("seconds")
    table.append(
        (
            "hub (UPRN decides, else its address model)",
            pairwise(hub, truth),
            "",
            f"{hub_seconds:.1f} s" if hub_seconds else "not timed",
        )
    )
    given = {r["key"]: r["uprn"] for r in records if r["uprn"]}
    table.append(
        (
            "UPRN alone (records without one unlinked)",
            pairwise({k: given.get(k) or alone(k) for k in truth}, truth),
            correct(given),
            "",
        )
    )
    configurations = [
        ("uk-address-matcher, defaults (exact, Splink -20 / 0)", None),
        (
            "uk-address-matcher, documented stages (Splink 12 / 5)",
            [
                ExactMatchStage(),
                PeeledAddressStage(),
                UniqueTrigramStage(),
                SplinkStage(
                    final_match_weight_threshold=12.0, final_distinguishability_threshold=5.0
                ),
            ],
        ),
    ]
    for name, stages in configurations:
        matched, seconds, reasons = run_matcher(work, records, stages)
        print(f"{name}: {dict(reasons)}")
        table.append(
            (
                name,
                pairwise({k: matched.get(k) or alone(k) for k in truth}, truth),
                correct(matched),
                f"{seconds:.1f} s",
            )
        )
        both = {k: given.get(k) or matched.get(k) for k in truth}
        table.append(
            (
                f"  UPRN where given, else {name.split(', ', 1)[1]}",
                pairwise({k: v or alone(k) for k, v in both.items()}, truth),
                correct({k: v for k, v in both.items() if v}),
                "",
            )
        )

    print()
    print("| method | precision | recall | F1 | records matched to the register | time |")
    print("|---|---|---|---|---|---|")
    for name, (precision, recall, f1), right, seconds in table:
        print(f"| {name} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {right} | {seconds} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    hub = steps.add_parser("hub", help="step 1, in the hub's venv")
    hub.add_argument("--work", type=Path, required=True)
    hub.add_argument("--no-relink", action="store_true", help="read the links as they are, untimed")
    hub.add_argument(
        "--move-town",
        action="store_true",
        help="first move a trailing ', Dundee' from address line 1 to the town column of "
        "every place record (changes the scratch database: use a copy of it)",
    )
    match = steps.add_parser("match", help="step 2, in uk-address-matcher's venv")
    match.add_argument("--work", type=Path, required=True)
    match.add_argument("--answer-key", type=Path, required=True)
    options = parser.parse_args()
    if options.step == "hub":
        hub_side(options.work, relink=not options.no_relink, move_town=options.move_town)
    else:
        matcher_side(options.work, options.answer_key)


if __name__ == "__main__":
    sys.exit(main())
