"""A labelled population for the linkage benchmark: N true people, each recorded by some of a
partnership's five partners (police, fire, council, housing, NHS) with each partner's habits,
and the answer key (which true person each record is).

The corruptions are those of the demo's partner exports (saferhub.demo.events: nicknames,
typos, swapped names, family names spelled another way, day and month transposed, missing or
partial dates of birth, an old address after a move, each partner's address format), at the
rates of the demo's HABITS, plus the two traps a linker must not fall into: twins (same family
name, address and date of birth, different given names) and same-name neighbours (the same
name at a nearby address, with a different date of birth).

Made for 10,000 and 1,000,000 people: the people are made a chunk at a time with numpy (the
same seed gives the same records whatever the chunk), and only each record's strings are built
in Python, as they are written to the database (COPY on PostgreSQL, bulk_create on SQLite).
The answer key stays in memory as numpy arrays: a few bytes a record.
"""

import datetime
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.utils import timezone

from saferhub.demo.events import (
    COUNCIL_CODE,
    FIRE_CODE,
    HABITS,
    HOUSING_CODE,
    NHS_CODE,
    POLICE_CODE,
)
from saferhub.demo.names import FAMILY_NAMES, FAMILY_WEIGHTS, FEMALE_NAMES, MALE_NAMES, SPELLINGS
from saferhub.demo.names import typo as _typo
from saferhub.demo.population import STREETS
from saferhub.people.identifiers import chi_check_digit, name_key
from saferhub.people.models import PersonAddress, PersonRecord
from saferhub.people.services import other_names_key

# The partners, in a fixed order: a record's organisation is an index into this list.
PARTNERS = [POLICE_CODE, FIRE_CODE, COUNCIL_CODE, HOUSING_CODE, NHS_CODE]
POLICE, FIRE, COUNCIL, HOUSING, NHS = range(len(PARTNERS))
# How likely each partner is to be one of those who know a person.
PARTNER_WEIGHTS = np.array([0.30, 0.10, 0.20, 0.15, 0.25])
# How many partners know a person (0 to 5): most people in a city are known to none.
RECORDS_PER_PERSON = np.array([0.45, 0.25, 0.15, 0.09, 0.04, 0.02])
PREFIXES = ["NOM", "OCC", "CUS", "T", "TAY"]

# What went wrong in a record (or who the record's person is), as bits of a mask.
NICKNAME = 1 << 0
TYPO_GIVEN = 1 << 1
TYPO_FAMILY = 1 << 2
SPELLING = 1 << 3
SWAPPED = 1 << 4
NO_BIRTH = 1 << 5
YEAR_ONLY = 1 << 6
MONTH_ONLY = 1 << 7
DAY_MONTH = 1 << 8
OLD_ADDRESS = 1 << 9
NO_POSTCODE = 1 << 10
DUPLICATE = 1 << 11
TWIN = 1 << 12
SAME_NAME_NEIGHBOUR = 1 << 13
ADDRESS_FORMAT = 1 << 14
VARIATIONS = {
    "nickname": NICKNAME,
    "typo_given": TYPO_GIVEN,
    "typo_family": TYPO_FAMILY,
    "spelling": SPELLING,
    "swapped": SWAPPED,
    "no_birth_date": NO_BIRTH,
    "birth_year_only": YEAR_ONLY,
    "birth_month_only": MONTH_ONLY,
    "day_month_swapped": DAY_MONTH,
    "old_address": OLD_ADDRESS,
    "no_postcode": NO_POSTCODE,
    "duplicate": DUPLICATE,
    "twin": TWIN,
    "same_name_neighbour": SAME_NAME_NEIGHBOUR,
    "address_format": ADDRESS_FORMAT,
}

# A country's worth of names: the demo's (the commonest) and a longer tail, so that at a
# million people "Robert Smith" is common but not everyone.
EXTRA_MALE = [
    "Aaron",
    "Adam",
    "Aidan",
    "Alan",
    "Alistair",
    "Angus",
    "Archie",
    "Arran",
    "Blair",
    "Bruce",
    "Calum",
    "Cameron",
    "Campbell",
    "Dean",
    "Dougal",
    "Douglas",
    "Duncan",
    "Dylan",
    "Ewan",
    "Finlay",
    "Gavin",
    "Gregor",
    "Hamish",
    "Harris",
    "Harry",
    "Innes",
    "Jack",
    "Jake",
    "Jay",
    "Keir",
    "Kieran",
    "Lee",
    "Leon",
    "Lyle",
    "Malcolm",
    "Martin",
    "Murray",
    "Neil",
    "Niall",
    "Nathan",
    "Oliver",
    "Owen",
    "Peter",
    "Rory",
    "Roderick",
    "Ruaridh",
    "Shaun",
    "Steven",
    "Struan",
    "Tyler",
    "Vincent",
    "Wallace",
    "Zach",
]
EXTRA_FEMALE = [
    "Abbie",
    "Aileen",
    "Ailsa",
    "Alison",
    "Amber",
    "Andrea",
    "Beth",
    "Brenda",
    "Carol",
    "Carly",
    "Ciara",
    "Claire",
    "Courtney",
    "Dawn",
    "Donna",
    "Eileen",
    "Eleanor",
    "Ellie",
    "Eva",
    "Freya",
    "Grace",
    "Hannah",
    "Hazel",
    "Heather",
    "Holly",
    "Iona",
    "Irene",
    "Jade",
    "Jean",
    "Jill",
    "Julie",
    "Kayleigh",
    "Kelly",
    "Kerry",
    "Laura",
    "Linda",
    "Lynn",
    "Maureen",
    "Mhairi",
    "Moira",
    "Natalie",
    "Paula",
    "Rachel",
    "Rosie",
    "Ruth",
    "Sandra",
    "Sarah",
    "Sheila",
    "Skye",
    "Sophie",
    "Tracey",
    "Wendy",
    "Yvonne",
]
_STEMS = [
    "Aitken",
    "Baird",
    "Bain",
    "Buchanan",
    "Carmichael",
    "Cunningham",
    "Dalgleish",
    "Dunbar",
    "Erskine",
    "Forsyth",
    "Galbraith",
    "Gillespie",
    "Gordon",
    "Hay",
    "Innes",
    "Irvine",
    "Jardine",
    "Keith",
    "Kirk",
    "Laird",
    "Lamont",
    "Leslie",
    "Lockhart",
    "Lyall",
    "Malcolm",
    "Matheson",
    "Menzies",
    "Moffat",
    "Munro",
    "Nairn",
    "Napier",
    "Pollock",
    "Rae",
    "Ramsay",
    "Sinclair",
    "Shaw",
    "Skinner",
    "Sutherland",
    "Tait",
    "Urquhart",
    "Wemyss",
    "Wylie",
    "Yule",
    "Adamson",
    "Barclay",
    "Chalmers",
    "Dickson",
    "Elder",
    "Findlay",
    "Gilchrist",
    "Hogg",
    "Ingram",
    "Jamieson",
    "Kirkwood",
    "Lennox",
    "Mair",
    "Neilson",
    "Orr",
    "Pringle",
    "Quinn",
    "Rankin",
    "Spence",
    "Turnbull",
    "Weir",
    "Young",
]
_PLACE_START = [
    "Bal",
    "Dun",
    "Kil",
    "Inver",
    "Auch",
    "Glen",
    "Strath",
    "Craig",
    "Drum",
    "Pit",
    "Kin",
    "Ard",
    "Loch",
    "Tor",
    "Cul",
    "Bon",
]
_PLACE_END = [
    "more",
    "lie",
    "lay",
    "ton",
    "wood",
    "gair",
    "ross",
    "don",
    "nie",
    "rie",
    "ford",
    "ock",
    "an",
    "ie",
    "am",
    "ell",
]
GIVEN_MALE = list(MALE_NAMES) + [n for n in EXTRA_MALE if n not in MALE_NAMES]
GIVEN_FEMALE = list(FEMALE_NAMES) + [n for n in EXTRA_FEMALE if n not in FEMALE_NAMES]
GIVEN = GIVEN_MALE + GIVEN_FEMALE
FAMILY = list(FAMILY_NAMES)
for _name in [*_STEMS, *(s + "son" for s in _STEMS[:20])] + [
    a + b for a in _PLACE_START for b in _PLACE_END
]:
    if _name not in FAMILY:
        FAMILY.append(_name)


def _weights(size: int, head: list[float] | None = None) -> np.ndarray:
    """Zipf-like shares: the first names commonest, with the demo's own weights where given."""
    weights = np.array([1.0 / (1 + index / 8) for index in range(size)])
    if head:
        weights[: len(head)] = np.array(head) / max(head) * weights[0] * 3
    return weights / weights.sum()


MALE_P = _weights(len(GIVEN_MALE))
FEMALE_P = _weights(len(GIVEN_FEMALE))
FAMILY_P = _weights(len(FAMILY), [float(w) for w in FAMILY_WEIGHTS])
NICKNAMES = [MALE_NAMES.get(name) or FEMALE_NAMES.get(name) or [] for name in GIVEN]
HAS_NICKNAME = np.array([bool(n) for n in NICKNAMES])
SPELLINGS_OF = [SPELLINGS.get(name, []) for name in FAMILY]
HAS_SPELLING = np.array([bool(s) for s in SPELLINGS_OF])

# The habits of each partner's system, as arrays by partner index (saferhub.demo.events).
_H = [HABITS[code] for code in PARTNERS]
H_NICKNAME = np.array([h.nickname for h in _H])
H_TYPO = np.array([h.typo for h in _H])
H_SWAPPED = np.array([h.swapped for h in _H])
H_SPELLING = np.array([h.spelling for h in _H])
H_NO_BIRTH = np.array([h.no_birth for h in _H])
H_YEAR_ONLY = np.array([h.year_only for h in _H])
H_MONTH_ONLY = np.array([h.month_only for h in _H])
H_DAY_MONTH = np.array([h.day_month for h in _H])
H_DUPLICATE = np.array([h.duplicate for h in _H])
H_NO_POSTCODE = np.array([h.no_postcode for h in _H])
H_ADDRESS_AGE = np.array([h.address_age for h in _H])

# Postcode areas of Scotland and the town each address gives.
AREAS = [
    ("DD", "Dundee"),
    ("G", "Glasgow"),
    ("EH", "Edinburgh"),
    ("AB", "Aberdeen"),
    ("KY", "Kirkcaldy"),
    ("PA", "Paisley"),
    ("ML", "Motherwell"),
    ("FK", "Falkirk"),
    ("IV", "Inverness"),
    ("PH", "Perth"),
    ("KA", "Kilmarnock"),
    ("DG", "Dumfries"),
]
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"
HOMES_PER_POSTCODE = 12
TODAY = datetime.date(2026, 6, 1)
CHUNK = 100_000
_ABBREVIATIONS = [
    (" Road", " Rd"),
    (" Street", " St"),
    (" Avenue", " Ave"),
    (" Drive", " Dr"),
    (" Crescent", " Cres"),
    (" Terrace", " Ter"),
]


@dataclass(frozen=True)
class Home:
    """A home as its parts: everything a partner's address line is made from."""

    number: int
    flat: str
    street: str
    town: str
    postcode: str


def home_of(slot: int) -> Home:
    """The home in `slot`: twelve homes to a postcode, neighbours in neighbouring slots, a
    postcode in every other area in turn; tenements (flats 0/1 to 2/2 in a close) in about
    half the postcodes."""
    code, k = divmod(slot, HOMES_PER_POSTCODE)
    district, inward = divmod(code, 4000)
    area, town = AREAS[district % len(AREAS)]
    sector, unit = divmod(inward, 400)
    postcode = f"{area}{district // len(AREAS) + 1} {sector}{_UNIT[unit // 20]}{_UNIT[unit % 20]}"
    street = STREETS[(code * 7919) % len(STREETS)]
    base = 1 + (code % 30) * 14
    if (code * 2654435761) % 100 < 55:
        return Home(base + 2 * (k // 6), f"{(k % 6) // 2}/{k % 2 + 1}", street, town, postcode)
    return Home(base + k, "", street, town, postcode)


def address_line(home: Home, partner: int, draw: float) -> tuple[str, bool]:
    """The address as the partner's system writes it, and whether that is not the plain
    "Flat 2/1, 14 Hilltown" form."""
    street = f"{home.number} {home.street}"
    flat = home.flat
    if partner == POLICE:
        text = street
        if flat:
            text = f"{flat}, {street}" if draw < 0.5 else f"FLAT {flat} {street}"
        return text.upper(), True
    if partner == FIRE:
        for long, short in _ABBREVIATIONS:
            if street.endswith(long):
                street = street[: -len(long)] + short
                break
        return (f"Flat {flat}, {street}" if flat else street), True
    if partner == COUNCIL:
        text = f"{flat} {street}" if flat else street
        return f"{text}, {home.town}", True
    if partner == NHS and flat and draw < 0.5:
        return f"{street}, Flat {flat}, {home.town.upper()}", True
    return (f"Flat {flat}, {street}" if flat else street), False


@dataclass
class Batch:
    """Records of one chunk of people: arrays for what is numeric, lists for the strings."""

    number: np.ndarray  # the record's number in the whole population (its id less the base)
    person: np.ndarray  # the true person's number: the answer key
    partner: np.ndarray
    flags: np.ndarray
    given: list[str] = field(default_factory=list)
    family: list[str] = field(default_factory=list)
    other_names: list[list[str]] = field(default_factory=list)
    born: list[datetime.date | None] = field(default_factory=list)
    precision: list[str] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    chi: list[str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    postcode: list[str] = field(default_factory=list)
    lived_from: list[datetime.date | None] = field(default_factory=list)
    lived_to: list[datetime.date | None] = field(default_factory=list)


def _chi(born: datetime.date, male: bool, person: int) -> str:
    rng = random.Random(person)
    while True:
        first_nine = (
            f"{born:%d%m%y}{rng.randint(0, 99):02d}{rng.choice('13579' if male else '02468')}"
        )
        check = chi_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"


def batches(people: int, *, seed: int = 5, chunk: int = CHUNK) -> Iterator[Batch]:
    """The records of `people` true people, a chunk of people at a time. The same people and
    seed give the same records."""
    first_record = 0
    # Households take about 2.2 people each; old homes are drawn from the same range of slots.
    slots = max(HOMES_PER_POSTCODE, people // 2)
    first_household = 0
    for start in range(0, people, chunk):
        count = min(chunk, people - start)
        rng = np.random.default_rng([seed, start])
        batch, households = _chunk(rng, seed, start, count, first_household, first_record, slots)
        first_household += households
        first_record += len(batch.number)
        yield batch


def _chunk(
    rng: np.random.Generator,
    seed: int,
    start: int,
    count: int,
    first_household: int,
    first_record: int,
    slots: int,
) -> tuple[Batch, int]:
    today = TODAY.toordinal()
    # Households: sizes, who is the head, the partner and the children.
    sizes = rng.choice(6, size=count, p=[0.30, 0.33, 0.16, 0.13, 0.06, 0.02]) + 1
    ends = np.cumsum(sizes)
    households = int(np.searchsorted(ends, count)) + 1
    sizes = sizes[:households]
    sizes[-1] -= ends[households - 1] - count
    ends = np.cumsum(sizes)
    starts = ends - sizes
    household = np.repeat(np.arange(households), sizes)
    position = np.arange(count) - starts[household]
    has_partner = (sizes >= 2) & (rng.random(households) < 0.7)
    is_head = position == 0
    is_partner = (position == 1) & has_partner[household]
    is_child = ~is_head & ~is_partner
    head_age = np.clip(rng.normal(44, 18, households), 18, 92).astype(np.int64)
    age = head_age[household].copy()
    age[is_partner] = np.clip(age[is_partner] + rng.integers(-6, 7, int(is_partner.sum())), 18, 95)
    room = np.clip(head_age - 17, 1, 18)[household][is_child]
    age[is_child] = (rng.random(int(is_child.sum())) * room).astype(np.int64)
    born = today - age * 365 - rng.integers(0, 365, count)
    head_male = rng.random(households) < 0.5
    # Same-name neighbours: the head of a household has the name (not the birthday) of the
    # head next door (the household before, in the same postcode or the next).
    neighbour = rng.random(households) < 0.04
    neighbour[0] = False
    neighbour[1:] &= ~neighbour[:-1]
    copied = np.nonzero(neighbour)[0]
    head_male[copied] = head_male[copied - 1]
    male = np.where(is_partner, ~head_male[household], head_male[household])
    male[is_child] = rng.random(int(is_child.sum())) < 0.5
    given = np.where(
        male,
        rng.choice(len(GIVEN_MALE), size=count, p=MALE_P),
        len(GIVEN_MALE) + rng.choice(len(GIVEN_FEMALE), size=count, p=FEMALE_P),
    )
    family_of_household = rng.choice(len(FAMILY), size=households, p=FAMILY_P)
    family_of_household[copied] = family_of_household[copied - 1]
    given[starts[copied]] = given[starts[copied - 1]]
    family = family_of_household[household].copy()
    other_family = is_partner & (rng.random(count) < 0.4)
    family[other_family] = rng.choice(len(FAMILY), size=int(other_family.sum()), p=FAMILY_P)
    maiden = np.full(count, -1)
    married = is_partner & ~male & ~other_family & (rng.random(count) < 0.7)
    maiden[married] = rng.choice(len(FAMILY), size=int(married.sum()), p=FAMILY_P)
    # Twins: the first two children of some households, born the same day, named apart.
    children = sizes - 1 - has_partner
    twins = (children >= 2) & (rng.random(households) < 0.08)
    first = starts[twins] + 1 + has_partner[twins]
    born[first + 1] = born[first]
    same = given[first + 1] == given[first]
    low = np.where(male[first + 1], 0, len(GIVEN_MALE))
    span = np.where(male[first + 1], len(GIVEN_MALE), len(GIVEN_FEMALE))
    given[first + 1] = np.where(same, low + (given[first + 1] - low + 1) % span, given[first + 1])
    # Nobody names two children alike (nor a child after a parent, here): a given name already
    # in the household moves to the next name of the same sex.
    for _ in range(8):
        clash = np.zeros(count, dtype=bool)
        for back in range(1, 6):
            earlier = np.maximum(np.arange(count) - back, 0)
            clash |= (position >= back) & (given == given[earlier])
        if not clash.any():
            break
        low = np.where(male[clash], 0, len(GIVEN_MALE))
        span = np.where(male[clash], len(GIVEN_MALE), len(GIVEN_FEMALE))
        given[clash] = low + (given[clash] - low + 1) % span
    person_flags = np.zeros(count, dtype=np.uint32)
    person_flags[first] |= TWIN
    person_flags[first + 1] |= TWIN
    person_flags[starts[copied]] |= SAME_NAME_NEIGHBOUR
    person_flags[starts[copied - 1]] |= SAME_NAME_NEIGHBOUR
    # Homes: each household's slot; one in five moved here from elsewhere in the last years.
    home = first_household + household
    moved_household = rng.random(households) < 0.2
    moved_on = today - rng.integers(30, 1100, households)
    old_home = rng.integers(0, slots, households)
    moved = moved_household[household] & (born < moved_on[household])

    # Which partners know each person: most none; the traps are always known to someone.
    known = rng.choice(6, size=count, p=RECORDS_PER_PERSON)
    known[(person_flags != 0) & (known == 0)] = 1
    keys = -np.log(rng.random((count, len(PARTNERS)))) / PARTNER_WEIGHTS
    order = np.argsort(keys, axis=1)
    chosen = np.arange(len(PARTNERS))[None, :] < known[:, None]
    rec_person = np.nonzero(chosen)[0]
    rec_partner = order[chosen]
    duplicate = rng.random(len(rec_person)) < H_DUPLICATE[rec_partner]
    rec_flags = np.zeros(len(rec_person), dtype=np.uint32)
    rec_person = np.concatenate([rec_person, rec_person[duplicate]])
    rec_partner = np.concatenate([rec_partner, rec_partner[duplicate]])
    rec_flags = np.concatenate(
        [rec_flags, np.full(int(duplicate.sum()), DUPLICATE, dtype=np.uint32)]
    )
    records = len(rec_person)
    rec_flags |= person_flags[rec_person]

    # Each record's slips, drawn at the partner's rates.
    u = rng.random((records, 12))
    p = rec_partner
    g, f = given[rec_person], family[rec_person]
    nickname = (u[:, 0] < H_NICKNAME[p]) & HAS_NICKNAME[g]
    spelling = (u[:, 1] < H_SPELLING[p]) & HAS_SPELLING[f]
    typo = u[:, 2] < H_TYPO[p]
    typo_given = typo & (u[:, 3] < 0.5)
    typo_family = typo & ~typo_given
    swapped = u[:, 4] < H_SWAPPED[p]
    draw = u[:, 5]
    no_birth = draw < H_NO_BIRTH[p]
    edge = H_NO_BIRTH[p] + H_YEAR_ONLY[p]
    year_only = ~no_birth & (draw < edge)
    month_only = ~no_birth & ~year_only & (draw < edge + H_MONTH_ONLY[p])
    day_month = (
        ~no_birth & ~year_only & ~month_only & (draw < edge + H_MONTH_ONLY[p] + H_DAY_MONTH[p])
    )
    unknown_sex = (p == FIRE) & (u[:, 6] < 0.3)
    heard = today - (u[:, 7] * H_ADDRESS_AGE[p]).astype(np.int64)
    rec_household = household[rec_person]
    old = moved[rec_person] & (heard < moved_on[rec_household])
    no_postcode = u[:, 8] < H_NO_POSTCODE[p]
    for mask, bit in (
        (nickname, NICKNAME),
        (spelling, SPELLING),
        (typo_given, TYPO_GIVEN),
        (typo_family, TYPO_FAMILY),
        (swapped, SWAPPED),
        (no_birth, NO_BIRTH),
        (year_only, YEAR_ONLY),
        (month_only, MONTH_ONLY),
        (old, OLD_ADDRESS),
        (no_postcode, NO_POSTCODE),
    ):
        rec_flags[mask] |= bit

    batch = Batch(
        number=first_record + np.arange(records, dtype=np.int64),
        person=start + rec_person.astype(np.int64),
        partner=rec_partner.astype(np.int8),
        flags=rec_flags,
    )
    homes: dict[int, Home] = {}
    chis: dict[int, str] = {}
    number0 = first_record
    for i in range(records):
        who = int(rec_person[i])
        partner = int(p[i])
        given_name = GIVEN[g[i]]
        family_name = FAMILY[f[i]]
        if nickname[i]:
            names = NICKNAMES[g[i]]
            given_name = names[int(u[i, 9] * len(names))]
        if spelling[i]:
            spellings = SPELLINGS_OF[f[i]]
            family_name = spellings[int(u[i, 10] * len(spellings))]
        if typo[i]:
            slip = random.Random(seed * 1_000_003 + number0 + i)
            if typo_given[i]:
                given_name = _typo(slip, given_name)
            else:
                family_name = _typo(slip, family_name)
        if swapped[i]:
            given_name, family_name = family_name, given_name
        other: list[str] = []
        if partner == NHS:
            if maiden[who] >= 0:
                other.append(FAMILY[maiden[who]])
            if u[i, 11] < 0.1 and NICKNAMES[g[i]]:
                other.append(NICKNAMES[g[i]][0])
        day = datetime.date.fromordinal(int(born[who]))
        if no_birth[i]:
            when, precision = None, ""
        elif year_only[i]:
            when, precision = day.replace(month=1, day=1), "year"
        elif month_only[i]:
            when, precision = day.replace(day=1), "month"
        elif day_month[i] and day.day <= 12 and day.day != day.month:
            when, precision = day.replace(month=day.day, day=day.month), "day"
            batch.flags[i] |= DAY_MONTH
        else:
            when, precision = day, "day"
        slot = int(old_home[rec_household[i]]) if old[i] else int(home[who])
        place = homes.get(slot)
        if place is None:
            place = homes[slot] = home_of(slot)
        line, formatted = address_line(place, partner, float(u[i, 9]))
        if formatted:
            batch.flags[i] |= ADDRESS_FORMAT
        lived_from = lived_to = None
        if moved[who] and partner in (HOUSING, NHS):
            change = datetime.date.fromordinal(int(moved_on[rec_household[i]]))
            if old[i]:
                lived_to = change - datetime.timedelta(days=1)
            else:
                lived_from = change
        chi = ""
        if partner == NHS:
            chi = chis.get(who) or chis.setdefault(who, _chi(day, bool(male[who]), start + who))
        batch.given.append(given_name)
        batch.family.append(family_name)
        batch.other_names.append(other)
        batch.born.append(when)
        batch.precision.append(precision)
        batch.sex.append("unknown" if unknown_sex[i] else "male" if male[who] else "female")
        batch.chi.append(chi)
        batch.address.append(line)
        batch.postcode.append("" if no_postcode[i] else place.postcode)
        batch.lived_from.append(lived_from)
        batch.lived_to.append(lived_to)
    return batch, households


# Loading into the database -----------------------------------------------------------------


@dataclass
class Truth:
    """The answer key for what was loaded: record ids and, at the same positions, the true
    person, the partner and the variation bits of each record."""

    record_id: np.ndarray
    person: np.ndarray
    partner: np.ndarray
    flags: np.ndarray

    def __len__(self) -> int:
        return len(self.record_id)


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return int(cursor.fetchone()[0]) + 1


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
    return text


_KEYS: dict[str, str] = {}


def _key(name: str) -> str:
    key = _KEYS.get(name)
    if key is None:
        key = _KEYS[name] = name_key(name)
    return key


def _rows(batch: Batch, keep: np.ndarray, organisation_ids: list[int], base: int):
    """(record row, address row) for each record kept, as the people services would store
    them: names folded by saferhub.people.identifiers.name_key."""
    for i in np.nonzero(keep)[0]:
        record_id = base + int(batch.number[i])
        other = batch.other_names[i]
        yield (
            (
                record_id,
                organisation_ids[batch.partner[i]],
                f"{PREFIXES[batch.partner[i]]}{int(batch.number[i]):08d}",
                batch.given[i],
                batch.family[i],
                json.dumps(other, ensure_ascii=False),
                batch.born[i],
                batch.precision[i],
                batch.sex[i],
                batch.chi[i],
                _key(batch.given[i]),
                _key(batch.family[i]),
                other_names_key(other) if other else "",
            ),
            (
                record_id,
                record_id,
                batch.address[i],
                batch.postcode[i],
                batch.lived_from[i],
                batch.lived_to[i],
            ),
        )


RECORD_COLUMNS = [
    "id",
    "organisation_id",
    "source_ref",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "date_of_birth_precision",
    "sex",
    "chi_number",
    "given_key",
    "family_key",
    "other_keys",
]
ADDRESS_COLUMNS = ["id", "person_id", "address", "postcode", "lived_from", "lived_to"]


def _write(rows: list[tuple], now: str) -> tuple[str, str]:
    records, addresses = io.StringIO(), io.StringIO()
    for record, address in rows:
        records.write("\t".join(_text(v) for v in record))
        records.write(f"\t\t\t\t{now}\t{now}\n")
        addresses.write("\t".join(_text(v) for v in address))
        addresses.write("\n")
    return records.getvalue(), addresses.getvalue()


def _copy(table: str, columns: list[str], text: str) -> None:
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as c,
    ):
        c.write(text)


def _store(rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        now = timezone.now().isoformat()
        records, addresses = _write(rows, now)
        _copy(
            "people_personrecord",
            [*RECORD_COLUMNS, "phone", "email", "import_fingerprint", "created_at", "updated_at"],
            records,
        )
        _copy("people_personaddress", ADDRESS_COLUMNS, addresses)
        return
    PersonRecord.objects.bulk_create(
        [PersonRecord(**dict(zip(RECORD_COLUMNS, record, strict=True))) for record, _ in rows],
        batch_size=2000,
    )
    PersonAddress.objects.bulk_create(
        [PersonAddress(**dict(zip(ADDRESS_COLUMNS, address, strict=True))) for _, address in rows],
        batch_size=2000,
    )


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("people_personrecord", "people_personaddress"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


@dataclass
class HeldOut:
    """Records kept back from a load, to arrive one at a time later."""

    batch: Batch | None
    mask: np.ndarray
    organisation_ids: list[int]
    base: int

    @property
    def truth(self) -> Truth:
        if self.batch is None:
            return join_truths([])
        return _truth(self.batch, self.mask, self.base)

    def store(self) -> Truth:
        """Store the held-out records now; their answer key."""
        if self.batch is not None:
            _store(list(_rows(self.batch, self.mask, self.organisation_ids, self.base)))
            _reset_sequences()
        return self.truth


def load(
    people: int,
    organisation_ids: list[int],
    *,
    seed: int = 5,
    hold_out: int = 0,
    chunk: int = CHUNK,
) -> tuple[Truth, HeldOut]:
    """Make the records of `people` true people and store them for the organisations (one id
    per partner, in PARTNERS order), keeping back `hold_out` records chosen at random from the
    first chunk of people (HeldOut.store stores them later). The answer key of what was stored."""
    base = max(_next_id("people_personrecord"), _next_id("people_personaddress"))
    stored: list[Truth] = []
    held = HeldOut(None, np.zeros(0, dtype=bool), organisation_ids, base)
    for batch in batches(people, seed=seed, chunk=chunk):
        keep = np.ones(len(batch.number), dtype=bool)
        if hold_out and held.batch is None:
            chosen = np.random.default_rng([seed, 99]).choice(
                len(batch.number), size=min(hold_out, len(batch.number)), replace=False
            )
            keep[chosen] = False
            held.batch, held.mask = batch, ~keep
        rows = list(_rows(batch, keep, organisation_ids, base))
        for start in range(0, len(rows), 20_000):
            _store(rows[start : start + 20_000])
        stored.append(_truth(batch, keep, base))
    _reset_sequences()
    return join_truths(stored), held


def _truth(batch: Batch, mask: np.ndarray, base: int) -> Truth:
    return Truth(
        record_id=base + batch.number[mask],
        person=batch.person[mask],
        partner=batch.partner[mask],
        flags=batch.flags[mask],
    )


def join_truths(parts: list[Truth]) -> Truth:
    """Answer keys joined into one, in order of record id."""
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Truth(empty, empty, empty.astype(np.int8), empty.astype(np.uint32))
    record_id = np.concatenate([t.record_id for t in parts])
    order = np.argsort(record_id, kind="stable")
    return Truth(
        record_id=record_id[order],
        person=np.concatenate([t.person for t in parts])[order],
        partner=np.concatenate([t.partner for t in parts])[order],
        flags=np.concatenate([t.flags for t in parts])[order],
    )


# Pairwise scores ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int


def _pairs(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def wrong_pairs_among(predicted: np.ndarray, truth: np.ndarray, among: np.ndarray) -> int:
    """Pairs of different true people put together, counting only the records in `among`
    (a mask): how many twins, say, were taken for their twin."""
    _, p = np.unique(predicted[among], return_inverse=True)
    _, t = np.unique(truth[among], return_inverse=True)
    both = p.astype(np.int64) * (int(t.max(initial=0)) + 1) + t
    return _pairs(p) - _pairs(both)


def pairwise_scores(predicted: np.ndarray, truth: np.ndarray) -> Scores:
    """Pairwise precision, recall and F1 of a clustering (a label per record) against the true
    one: pairs are counted as the sum of C(n, 2) over clusters, true people and their
    intersections, never pair by pair."""
    if len(predicted) != len(truth):
        raise ValueError("a label per record in both clusterings")
    _, p = np.unique(predicted, return_inverse=True)
    _, t = np.unique(truth, return_inverse=True)
    both = p.astype(np.int64) * (int(t.max(initial=0)) + 1) + t
    predicted_pairs, true_pairs, correct = _pairs(p), _pairs(t), _pairs(both)
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, predicted_pairs, true_pairs, correct)
