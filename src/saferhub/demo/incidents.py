"""Demo incidents: a few thousand concerns recorded by every kind of partner over two years.

The mix is chosen so that every sharing level and both audiences show up when logging in as
different demo users: themes inside and outside the protocols, restricted records, records
naming relevant partners, and the same people and addresses coming back again and again.
"""

import datetime
import random
import zlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from saferhub.demo.partnership_files import FAMILY_NAMES, GIVEN_NAMES
from saferhub.geography.models import PostcodeLookup
from saferhub.incidents.models import Incident, IncidentPerson, RelevantPartner
from saferhub.partnerships.models import Membership, Partnership
from saferhub.partnerships.themes import ThemeBook

# What each kind of partner records, as (category, themes, weight).
RECORDED_BY_KIND = {
    "police": [
        ("noise", ["asb"], 8),
        ("youth_disorder", ["asb"], 8),
        ("assault", ["violence"], 6),
        ("domestic_incident", ["domestic_abuse"], 6),
        ("drug_dealing", ["substance_misuse"], 4),
        ("cuckooing", ["cuckooing", "asb"], 2),
        ("theft", ["acquisitive_crime"], 6),
        ("housebreaking", ["acquisitive_crime"], 3),
        ("hate_incident", ["hate_crime"], 2),
        ("road_collision", ["road_safety"], 3),
        ("missing_person", ["adult_protection"], 2),
        ("welfare_concern", ["adult_protection", "mental_health"], 3),
        ("mental_health_crisis", ["mental_health"], 3),
    ],
    "fire": [
        ("deliberate_fire", ["fire_safety", "asb"], 6),
        ("dwelling_fire", ["fire_safety"], 4),
        ("hoarding", ["home_safety", "fire_safety"], 3),
        ("fall", ["home_safety"], 1),
    ],
    "local_authority": [
        ("noise", ["asb"], 8),
        ("neighbour_dispute", ["asb"], 6),
        ("vandalism", ["asb"], 4),
        ("youth_disorder", ["asb"], 4),
        ("cuckooing", ["cuckooing"], 1),
        ("welfare_concern", ["adult_protection"], 2),
    ],
    "housing": [
        ("neighbour_dispute", ["asb"], 5),
        ("noise", ["asb"], 4),
        ("hoarding", ["home_safety"], 2),
        ("vandalism", ["asb"], 2),
        ("cuckooing", ["cuckooing", "asb"], 1),
    ],
    "nhs": [
        ("mental_health_crisis", ["mental_health"], 5),
        ("self_harm", ["mental_health"], 3),
        ("fall", ["home_safety"], 3),
        ("welfare_concern", ["adult_protection"], 2),
    ],
    "third_sector": [
        ("domestic_incident", ["domestic_abuse"], 4),
        ("hate_incident", ["hate_crime"], 2),
        ("assault", ["violence"], 2),
    ],
}
# How much of a partnership's recording each kind does.
SHARE_BY_KIND = {
    "police": 40,
    "local_authority": 18,
    "fire": 12,
    "housing": 12,
    "nhs": 10,
    "third_sector": 8,
}
STREETS = [
    "Hilltown",
    "Lochee Road",
    "Strathmartine Road",
    "Arbroath Road",
    "Clepington Road",
    "Kinghorne Road",
    "Dens Road",
    "Perth Road",
    "Blackness Road",
    "Alexander Street",
    "Ann Street",
    "Princes Street",
    "Forfar Road",
    "Pitkerro Road",
    "Charleston Drive",
    "Brington Place",
    "Dunholm Road",
    "Kirkton Road",
    "Ardler Crescent",
    "Whitfield Drive",
]
NARRATIVES = {
    "noise": "Repeated loud music late at night reported by {reporter}; {subject} spoken to.",
    "youth_disorder": "Group of youths gathering and shouting at the shops; {subject} identified.",
    "neighbour_dispute": "Dispute over the shared close; {subject} threatened {victim}.",
    "vandalism": "Damage to the close door and stairwell lighting; {subject} seen nearby.",
    "deliberate_fire": "Wheelie bin set alight against the gable end; crews attended.",
    "dwelling_fire": "Kitchen fire, chip pan left on; {victim} treated for smoke inhalation.",
    "hoarding": "Crew visit found heavy hoarding blocking escape routes; {victim} lives alone.",
    "fall": "{victim} found on the floor after a fall, no carer support in place.",
    "assault": "{victim} assaulted outside licensed premises; {subject} detained.",
    "domestic_incident": "{victim} reported threats from partner {subject}; children present.",
    "drug_dealing": "Intelligence of dealing from the flat; frequent short visits reported.",
    "cuckooing": "Concern that others use {victim}'s flat to deal from; {victim} vulnerable.",
    "theft": "Bicycle stolen from the back court; {reporter} reported.",
    "housebreaking": "Rear window forced and electrical items taken while {victim} was out.",
    "hate_incident": "{victim} subjected to racist abuse by {subject} in the street.",
    "road_collision": "Two-car collision at the junction; {victim} taken to hospital.",
    "missing_person": "{victim} reported missing by family; found safe the next morning.",
    "welfare_concern": "Neighbours concerned about {victim}, not seen for days; found confused.",
    "mental_health_crisis": "{victim} in distress threatening to harm self; taken to assessment.",
    "self_harm": "{victim} attended A&E after self-harm; third attendance this month.",
}
SIZES = {"small": 2000, "medium": 5000, "large": 20000}


@dataclass
class DemoPerson:
    given: str
    family: str
    born: datetime.date | None
    sex: str


def _people_pool(rng: random.Random, size: int) -> list[DemoPerson]:
    pool = []
    for _ in range(size):
        sex = rng.choice(["female", "male", "male", "female", "unknown"])
        born = datetime.date(rng.randint(1935, 2010), rng.randint(1, 12), rng.randint(1, 28))
        pool.append(
            DemoPerson(
                rng.choice(GIVEN_NAMES),
                rng.choice(FAMILY_NAMES),
                born if rng.random() > 0.05 else None,
                sex,
            )
        )
    return pool


@transaction.atomic
def demo_incidents_load(
    *, partnership: Partnership, size: str, seed: int, now: datetime.datetime
) -> int:
    """Create the partnership's demo incidents unless it has some already; return how many."""
    if Incident.objects.filter(partnership=partnership).exists():
        return 0
    rng = random.Random(f"{seed}-{partnership.code}")
    count = SIZES[size] // (1 if partnership.setting == "urban" else 4)
    members = list(
        Membership.objects.filter(partnership=partnership).select_related("organisation")
    )
    recorders = [
        (m.organisation, SHARE_BY_KIND[m.organisation.kind])
        for m in members
        if m.organisation.kind in SHARE_BY_KIND and m.involvement != "not"
    ]
    book = ThemeBook.of(partnership)
    themes = book.by_code
    people = _people_pool(rng, max(200, count // 6))
    # A few people and addresses account for much of the harm: draw them more often.
    frequent = people[: len(people) // 10]
    addresses = [
        (f"{rng.randint(1, 180)} {rng.choice(STREETS)}", rng.randint(1, 5))
        for _ in range(count // 5)
    ]
    hot_addresses = addresses[: len(addresses) // 12]
    zone_base = 1008300 if partnership.setting == "urban" else 1003600
    # Where the demo geography covers the area, addresses sit on its postcodes and zones.
    lookups = list(
        PostcodeLookup.objects.filter(data_zone__council_area__name=partnership.local_authority)
        .order_by("postcode")
        .values_list("postcode", "data_zone__code")
    )

    incidents, links = [], []
    for number in range(count):
        owner = rng.choices([o for o, _ in recorders], weights=[w for _, w in recorders])[0]
        category, theme_codes, _ = rng.choices(
            RECORDED_BY_KIND[owner.kind], weights=[w for *_, w in RECORDED_BY_KIND[owner.kind]]
        )[0]
        theme_codes = [c for c in theme_codes if c in themes] or ["asb"]
        occurred = now - datetime.timedelta(minutes=rng.randint(30, 2 * 365 * 24 * 60))
        street, district = rng.choice(hot_addresses if rng.random() < 0.3 else addresses)
        partners = [o for o, _ in recorders if o != owner]
        relevant = rng.sample(partners, k=rng.choice([0, 0, 1, 1, 2])) if partners else []
        restricted = bool(relevant) and rng.random() < 0.12
        involved = []
        for role in ["victim", "subject_of_concern", "reporter"][: rng.randint(1, 3)]:
            person = rng.choice(frequent if rng.random() < 0.35 else people)
            involved.append((role, person))
        names = {r: f"{p.given} {p.family}" for r, p in involved}
        narrative = NARRATIVES.get(category, "").format(
            victim=names.get("victim", "the resident"),
            subject=names.get("subject_of_concern", "a male"),
            reporter=names.get("reporter", "a neighbour"),
        )
        flags = rng.sample(
            [
                "mental_health",
                "substance_misuse",
                "lives_alone",
                "older_person",
                "smoker",
                "limited_mobility",
                "repeat_victim",
            ],
            k=rng.choice([0, 0, 1, 2]),
        )
        incidents.append(
            Incident(
                partnership=partnership,
                owner=owner,
                # Unique per owner: police and fire work in several partnerships.
                source_ref=f"{partnership.code[:3].upper()}-{number:06d}",
                category=category,
                theme_mask=book.mask_of(dict.fromkeys(theme_codes)),
                occurred_at=occurred,
                reported_at=occurred + datetime.timedelta(minutes=rng.randint(0, 600)),
                address=street,
                **_where(rng, street, district, zone_base, lookups),
                vulnerability_flags=flags,
                narrative=narrative,
                risk=rng.choices(["red", "amber", "green"], weights=[1, 3, 6])[0],
                restricted=restricted,
            )
        )
        links.append((theme_codes, relevant, involved))

    Incident.objects.bulk_create(incidents, batch_size=1000)
    saved = list(
        Incident.objects.filter(partnership=partnership)
        .order_by("source_ref")
        .only("pk", "source_ref")
    )
    by_ref = {i.source_ref: i.pk for i in saved}
    partner_rows, person_rows = [], []
    for incident, (_, relevant, involved) in zip(incidents, links, strict=True):
        pk = by_ref[incident.source_ref]
        partner_rows += [RelevantPartner(incident_id=pk, organisation=o) for o in relevant]
        person_rows += [
            IncidentPerson(
                incident_id=pk,
                role=role,
                given_name=p.given,
                family_name=p.family,
                date_of_birth=p.born,
                sex=p.sex,
            )
            for role, p in involved
        ]
    RelevantPartner.objects.bulk_create(partner_rows, batch_size=2000)
    IncidentPerson.objects.bulk_create(person_rows, batch_size=2000)
    return count


def _where(
    rng: random.Random, street: str, district: int, zone_base: int, lookups: list
) -> dict[str, str]:
    """The postcode and data zone of an address: the same each time the address comes back."""
    if lookups:
        postcode, zone = lookups[zlib.crc32(f"{street}|{district}".encode()) % len(lookups)]
        return {"postcode": postcode, "data_zone": zone}
    return {
        "postcode": _postcode(rng, district),
        "data_zone": f"S0{zone_base + rng.randint(0, 180)}",
    }


def _postcode(rng: random.Random, district: int) -> str:
    letters = "ABDEFGHJLNPQRSTUWXY"
    return f"DD{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def demo_now() -> datetime.datetime:
    return timezone.now().replace(second=0, microsecond=0)
