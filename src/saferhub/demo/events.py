"""What happens in the demo's Dundee over two years, and how each partner records it.

Events (a noise complaint, a kitchen fire, an assault outside a bar) happen to the true people
and places of saferhub.demo.population; each is recorded by the partner who dealt with it, and
sometimes by a second one. Every partner holds its own record of each person and place, with the
habits of its system: nicknames, typos, names swapped, dates of birth missing or partial, old
addresses. saferhub.demo.partner_exports writes what they hold as each partner's export.

Each event, and each partner's record of a person or place, is decided by its own number alone
(never by another event), so a smaller size is exactly a part of a larger one.
"""

import bisect
import datetime
import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from saferhub.demo.names import SPELLINGS, nicknames_of, typo
from saferhub.demo.partnership_files import AREAS, FIRE, NHS, POLICE, VICTIM_SUPPORT
from saferhub.demo.population import Person, Place, Pool, Population

POLICE_CODE = POLICE.code
FIRE_CODE = FIRE.code
NHS_CODE = NHS.code
COUNCIL_CODE = AREAS[0].council.code
HOUSING_CODE = AREAS[0].housing.code
PARTNERSHIP_CODE = AREAS[0].code

FULL_PEOPLE = 5000
FULL_EVENTS = 18400
DAYS = 730
# A size keeps every event and person whose number divides by its divisor: each smaller size is
# a subset of every larger one. "tiny" is for tests.
SIZES = {"full": 1, "small": 10, "tiny": 50}
TIERS = sorted(SIZES.values(), reverse=True)
# Deliberately bad rows per file found in every size, and the share of the others that are bad.
BAD_ROWS_PER_FILE = 2
BAD_ROW_RATE = 0.001


# What happened: hub categories, their themes, who is involved and where -------------------

# category: (themes, people involved, where)
CATEGORIES: dict[str, tuple[list[str], str, str]] = {
    "noise": (["asb"], "neighbours", "subject_home"),
    "neighbour_dispute": (["asb"], "neighbours", "subject_home"),
    "youth_disorder": (["asb"], "youth", "public"),
    "vandalism": (["asb"], "youth_maybe", "public"),
    "deliberate_fire": (["fire_safety", "asb"], "youth_rarely", "outdoors"),
    "dwelling_fire": (["fire_safety", "home_safety"], "occupier", "victim_home"),
    "hoarding": (["home_safety", "fire_safety"], "hoarder", "victim_home"),
    "fall": (["home_safety"], "older", "victim_home"),
    "assault": (["violence"], "assault", "night_out"),
    "domestic_incident": (["domestic_abuse"], "couple", "victim_home"),
    "drug_dealing": (["substance_misuse", "asb"], "dealer", "subject_home"),
    "cuckooing": (["cuckooing", "asb"], "cuckooing", "victim_home"),
    "theft": (["acquisitive_crime"], "victim", "shops"),
    "housebreaking": (["acquisitive_crime"], "victim", "victim_home"),
    "hate_incident": (["hate_crime"], "assault", "public"),
    "road_collision": (["road_safety"], "victim", "road"),
    "missing_person": (["adult_protection"], "missing", "victim_home"),
    "welfare_concern": (["adult_protection"], "welfare", "victim_home"),
    "mental_health_crisis": (["mental_health"], "mental_health", "victim_home"),
    "self_harm": (["mental_health"], "mental_health", "victim_home"),
}
NIGHT = {"noise", "youth_disorder", "assault", "deliberate_fire", "vandalism", "domestic_incident"}
NARRATIVES = {
    "noise": "Loud music and shouting from the property late at night; {subject} spoken to.",
    "neighbour_dispute": "Ongoing dispute over the shared close; {subject} alleged to have "
    "threatened {victim}.",
    "youth_disorder": "Group of youths gathering and shouting; {subject} identified among them.",
    "vandalism": "Damage to the close door and stairwell lighting; {subject} seen nearby.",
    "deliberate_fire": "Refuse set alight; crew extinguished it. No persons at risk.",
    "dwelling_fire": "Kitchen fire, pan left on the cooker; {victim} treated for smoke inhalation.",
    "hoarding": "Heavy accumulation of belongings blocking escape routes; {victim} lives alone.",
    "fall": "{victim} found on the floor after a fall, no carer support in place.",
    "assault": "{victim} assaulted; {subject} identified as responsible.",
    "domestic_incident": "{victim} reports threats and controlling behaviour by partner {subject}.",
    "drug_dealing": "Reports of dealing from the property; frequent short visits.",
    "cuckooing": "Concern that {subject} and associates are using {victim}'s home to deal from.",
    "theft": "Items stolen; {victim} reported.",
    "housebreaking": "Rear window forced and electrical items taken while {victim} was out.",
    "hate_incident": "{victim} subjected to racist abuse by {subject}.",
    "road_collision": "Collision at the junction; {victim} taken to Ninewells.",
    "missing_person": "{victim} reported missing by family; traced safe.",
    "welfare_concern": "Neighbours concerned for {victim}, not seen for days; found confused.",
    "mental_health_crisis": "{victim} in distress and threatening to harm self.",
    "self_harm": "{victim} presented after self-harm.",
}

# Each partner's code list: partner code -> (hub category, themes when different from the
# category's, weight when the partner records the event first). The first code of a category
# is the one the partner uses when it records an event another partner reported.
Code = tuple[str, list[str] | None, int]
POLICE_CODES: dict[str, Code] = {
    "ASB - NOISE": ("noise", None, 9),
    "ASB - YOUTHS CAUSING ANNOYANCE": ("youth_disorder", None, 10),
    "ASB - NEIGHBOUR DISPUTE": ("neighbour_dispute", None, 5),
    "VANDALISM": ("vandalism", None, 5),
    "ASSAULT": ("assault", None, 8),
    "SERIOUS ASSAULT": ("assault", None, 1),
    "DOMESTIC ABUSE": ("domestic_incident", None, 8),
    "DRUGS - SUPPLY": ("drug_dealing", None, 3),
    "CONCERN FOR PERSON - CUCKOOING": ("cuckooing", None, 1),
    "THEFT": ("theft", None, 6),
    "SHOPLIFTING": ("theft", None, 3),
    "HOUSEBREAKING": ("housebreaking", None, 3),
    "HATE INCIDENT": ("hate_incident", None, 2),
    "RTC - INJURY": ("road_collision", None, 3),
    "MISSING PERSON": ("missing_person", None, 3),
    "CONCERN FOR PERSON": ("welfare_concern", None, 4),
    "MENTAL HEALTH - PLACE OF SAFETY": ("mental_health_crisis", None, 4),
    "FIRE RAISING": ("deliberate_fire", None, 1),
    "FIRE - DWELLING": ("dwelling_fire", None, 0),
}
FIRE_CODES: dict[str, Code] = {
    "Secondary Fire - Deliberate (Refuse)": ("deliberate_fire", None, 10),
    "Secondary Fire - Deliberate (Grassland)": ("deliberate_fire", None, 4),
    "Dwelling Fire - Accidental": ("dwelling_fire", None, 8),
    "Dwelling Fire - Deliberate": ("deliberate_fire", ["fire_safety"], 1),
    "Special Service - Hoarding Concern": ("hoarding", None, 3),
    "Special Service - Assist Person (Fall)": ("fall", None, 2),
    "Special Service - Effecting Entry": ("welfare_concern", None, 2),
    "Special Service - RTC": ("road_collision", None, 1),
}
COUNCIL_CODES: dict[str, Code] = {
    "Noise": ("noise", None, 10),
    "Neighbour Dispute": ("neighbour_dispute", None, 8),
    "Vandalism / Graffiti": ("vandalism", None, 5),
    "Youth Disorder": ("youth_disorder", None, 5),
    "Drug Dealing (Suspected)": ("drug_dealing", None, 2),
    "Cuckooing": ("cuckooing", None, 1),
    "Harassment - Hate Related": ("hate_incident", ["hate_crime", "asb"], 1),
}
HOUSING_CODES: dict[str, Code] = {
    "ASB-NOI": ("noise", None, 8),
    "ASB-NEI": ("neighbour_dispute", None, 7),
    "ASB-VAN": ("vandalism", None, 2),
    "ASB-DRG": ("drug_dealing", None, 2),
    "ASB-CUK": ("cuckooing", None, 1),
    "TEN-HRD": ("hoarding", ["home_safety"], 2),
}
NHS_CODES: dict[str, Code] = {
    "ASSAULT": ("assault", None, 4),
    "DELIBERATE SELF HARM": ("self_harm", None, 4),
    "OVERDOSE": ("self_harm", ["mental_health", "substance_misuse"], 2),
    "FALL": ("fall", None, 5),
    "MENTAL HEALTH CRISIS": ("mental_health_crisis", None, 3),
}
# A code each partner's system does not know: the deliberately bad rows carry it.
UNKNOWN_CODES = {
    POLICE_CODE: "ASB - LITTERING",
    FIRE_CODE: "Chimney Fire",
    COUNCIL_CODE: "Fly-tipping",
    HOUSING_CODE: "ASB-PET",
    NHS_CODE: "BURNS",
}
# How much of the partnership's recording each partner does first.
SHARE = {POLICE_CODE: 46, COUNCIL_CODE: 18, FIRE_CODE: 13, HOUSING_CODE: 12, NHS_CODE: 11}
# When one partner records an event, the chance another records the same event too.
ALSO_RECORDED = {
    (FIRE_CODE, "dwelling_fire"): [(POLICE_CODE, 0.25)],
    (FIRE_CODE, "deliberate_fire"): [(POLICE_CODE, 0.1)],
    (COUNCIL_CODE, "noise"): [(POLICE_CODE, 0.15), (HOUSING_CODE, 0.1)],
    (COUNCIL_CODE, "neighbour_dispute"): [(POLICE_CODE, 0.2), (HOUSING_CODE, 0.15)],
    (HOUSING_CODE, "noise"): [(COUNCIL_CODE, 0.2)],
    (HOUSING_CODE, "cuckooing"): [(POLICE_CODE, 0.6)],
    (POLICE_CODE, "cuckooing"): [(COUNCIL_CODE, 0.4)],
    (POLICE_CODE, "assault"): [(NHS_CODE, 0.2)],
    (POLICE_CODE, "mental_health_crisis"): [(NHS_CODE, 0.4)],
    (POLICE_CODE, "welfare_concern"): [(FIRE_CODE, 0.05)],
    (NHS_CODE, "fall"): [(FIRE_CODE, 0.1)],
}
# Whom each partner names as relevant, for which categories, and how often it restricts.
RELEVANT = {
    (POLICE_CODE, "domestic_incident"): ([COUNCIL_CODE, VICTIM_SUPPORT.code], 0.6, 0.5),
    (POLICE_CODE, "cuckooing"): ([COUNCIL_CODE, HOUSING_CODE], 0.8, 0.0),
    (POLICE_CODE, "mental_health_crisis"): ([NHS_CODE], 0.7, 0.2),
    (POLICE_CODE, "welfare_concern"): ([NHS_CODE, FIRE_CODE], 0.5, 0.0),
    (POLICE_CODE, "missing_person"): ([COUNCIL_CODE], 0.3, 0.3),
    (FIRE_CODE, "hoarding"): ([HOUSING_CODE, NHS_CODE], 0.6, 0.0),
    (FIRE_CODE, "dwelling_fire"): ([HOUSING_CODE], 0.3, 0.0),
    (COUNCIL_CODE, "drug_dealing"): ([POLICE_CODE, HOUSING_CODE], 0.5, 0.0),
    (COUNCIL_CODE, "neighbour_dispute"): ([HOUSING_CODE], 0.3, 0.0),
    (HOUSING_CODE, "hoarding"): ([FIRE_CODE], 0.6, 0.0),
    (HOUSING_CODE, "cuckooing"): ([POLICE_CODE], 0.7, 0.3),
    (NHS_CODE, "self_harm"): ([POLICE_CODE], 0.2, 0.6),
    (NHS_CODE, "fall"): ([FIRE_CODE], 0.4, 0.0),
}
ORGANISATION_CODES = {
    POLICE_CODE: POLICE_CODES,
    FIRE_CODE: FIRE_CODES,
    COUNCIL_CODE: COUNCIL_CODES,
    HOUSING_CODE: HOUSING_CODES,
    NHS_CODE: NHS_CODES,
}


# Errors partners make, as chances per record ---------------------------------------------


@dataclass(frozen=True)
class Habits:
    """How carefully one partner's system records people: the chance of each slip per record."""

    nickname: float
    typo: float
    swapped: float
    spelling: float
    no_birth: float
    year_only: float
    month_only: float
    day_month: float
    duplicate: float
    no_postcode: float
    # How long ago (days, at most) the partner last heard where the person lives: the longer,
    # the more records hold an old address.
    address_age: int


HABITS = {
    POLICE_CODE: Habits(
        nickname=0.1,
        typo=0.04,
        swapped=0.015,
        spelling=0.3,
        no_birth=0.03,
        year_only=0.03,
        month_only=0.01,
        day_month=0.02,
        duplicate=0.04,
        no_postcode=0.05,
        address_age=900,
    ),
    FIRE_CODE: Habits(
        nickname=0.12,
        typo=0.05,
        swapped=0.03,
        spelling=0.3,
        no_birth=0.5,
        year_only=0.15,
        month_only=0.05,
        day_month=0.02,
        duplicate=0.02,
        no_postcode=0.0,
        address_age=700,
    ),
    COUNCIL_CODE: Habits(
        nickname=0.12,
        typo=0.05,
        swapped=0.03,
        spelling=0.4,
        no_birth=0.3,
        year_only=0.08,
        month_only=0.03,
        day_month=0.03,
        duplicate=0.03,
        no_postcode=0.06,
        address_age=700,
    ),
    # Housing knows its tenants well; the NHS best of all (its records start from the CHI).
    HOUSING_CODE: Habits(
        nickname=0.05,
        typo=0.03,
        swapped=0.02,
        spelling=0.2,
        no_birth=0.02,
        year_only=0.03,
        month_only=0.0,
        day_month=0.02,
        duplicate=0.01,
        no_postcode=0.0,
        address_age=0,
    ),
    NHS_CODE: Habits(
        nickname=0.0,
        typo=0.01,
        swapped=0.005,
        spelling=0.1,
        no_birth=0.0,
        year_only=0.0,
        month_only=0.0,
        day_month=0.0,
        duplicate=0.005,
        no_postcode=0.02,
        address_age=1500,
    ),
}


# The records partners hold ----------------------------------------------------------------


@dataclass
class HeldPerson:
    """One partner's record of a true person: what its export says about them."""

    organisation: str
    source_ref: str
    person: Person
    given: str
    family: str
    other_names: list[str]
    born: datetime.date | None
    # day, month or year: how much of the date of birth the record knows.
    precision: str
    day_month_swapped: bool
    sex: str
    address: Place
    address_from: datetime.date | None
    address_to: datetime.date | None
    postcode_given: bool
    variations: list[str] = field(default_factory=list)


@dataclass
class HeldPlace:
    """One partner's record of a true place."""

    organisation: str
    source_ref: str
    place: Place
    line_1: str
    line_2: str
    town: str
    postcode: str
    easting: int | None
    northing: int | None
    variations: list[str] = field(default_factory=list)


@dataclass
class Event:
    """Something that happened, recorded by one partner or more."""

    index: int
    id: str
    tier: int
    at: datetime.datetime
    category: str
    place: Place
    victim: Person | None
    subject: Person | None
    reporter: Person | None
    risk: str
    flags: list[str]
    # (organisation, partner code) for each partner that recorded it, the first partner first.
    recorders: list[tuple[str, str]]


def unit(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts: decides things about one record alone, so that
    the decision is the same whatever else a size includes."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def rng_of(*parts: object) -> random.Random:
    return random.Random(int(unit(*parts) * 2**53))


def tier_of(number: int) -> int:
    """The largest size divisor that divides `number`: the smallest size it appears in."""
    return next(d for d in TIERS if number % d == 0)


# The generator -----------------------------------------------------------------------------


class Generator:
    """Makes the events of a size and, as they need them, each partner's records of the
    people and places involved (the same record whenever the same partner meets the same
    person again)."""

    def __init__(self, population: Population, today: datetime.date, seed: int):
        self.population = population
        self.today = today
        self.seed = seed
        # Two years ending the day before yesterday: nothing recorded, reported or arriving
        # at A&E can be later than the moment the demo is loaded.
        self.start = today - datetime.timedelta(days=DAYS + 1)
        self.latest = datetime.datetime.combine(
            today - datetime.timedelta(days=1), datetime.time(23, 0)
        )
        people = population.people
        self.limits = {d: len(people) // d for d in TIERS}
        self.pools = self._pools(people)
        self.person_records: dict[tuple[str, int], list[HeldPerson]] = {}
        self.place_records: dict[tuple[str, int], HeldPlace] = {}
        # Person and place numbers in each partner's system, shuffled so they look issued.
        self.person_numbers = {
            org: self._numbers(org, "people", len(people)) for org in ORGANISATION_CODES
        }
        self.place_numbers = {
            org: self._numbers(org, "places", len(population.places)) for org in ORGANISATION_CODES
        }

    def prolific(self, person: Person) -> float:
        """How much more often than most this person turns up: a few people account for much
        of the harm, so the same names come back again and again."""
        draw = unit(self.seed, "prolific", person.id)
        return 25.0 if draw < 0.04 else 4.0 if draw < 0.2 else 1.0

    def _numbers(self, org: str, what: str, count: int) -> list[int]:
        numbers = list(range(count))
        random.Random(f"{self.seed}:{org}:{what}").shuffle(numbers)
        return numbers

    def _pools(self, people: list[Person]) -> dict[str, Pool]:
        today = self.today

        def pool(weight: Callable[[Person, int], float]) -> Pool:
            weighted = []
            for person in people:
                value = weight(person, person.age_on(today))
                if value > 0:
                    weighted.append((person, value))
            return Pool(weighted)

        def offender(p: Person, age: int) -> float:
            if not 16 <= age <= 60:
                return 0
            base = 3.0 if p.sex == "male" else 1.0
            if "substance_misuse" in p.flags:
                base *= 3
            return base * self.prolific(p)

        def victim(p: Person, age: int) -> float:
            if age < 12:
                return 0
            base = 1.0 + 2 * ("mental_health" in p.flags) + 2 * ("older_person" in p.flags)
            return base * self.prolific(p)

        return {
            "offender": pool(offender),
            "victim": pool(victim),
            "adult": pool(lambda p, age: 1.0 if age >= 18 else 0),
            "youth": pool(lambda p, age: self.prolific(p) if 12 <= age <= 19 else 0),
            "older": pool(
                lambda p, age: (
                    (1 + 3 * ("lives_alone" in p.flags) + 2 * ("limited_mobility" in p.flags))
                    if age >= 65
                    else 0
                )
            ),
            "vulnerable": pool(
                lambda p, age: (
                    self.prolific(p) * 3
                    if age >= 18
                    and p.flags & {"mental_health", "substance_misuse", "learning_disability"}
                    else 0
                )
            ),
            "mental_health": pool(
                lambda p, age: self.prolific(p) if age >= 14 and "mental_health" in p.flags else 0
            ),
            "couple": pool(
                lambda p, age: (
                    (4.0 if p.sex == "female" else 1.0) * self.prolific(p.partner)
                    if p.partner is not None and age >= 18
                    else 0
                )
            ),
            "hoarder": pool(
                lambda p, age: 10.0 if "hoarding" in p.flags else 1.0 if age >= 70 else 0
            ),
            "tenant": pool(lambda p, age: self.prolific(p) if p.tenancy else 0),
        }

    # Days and times ------------------------------------------------------------------------

    def event_days(self) -> list[datetime.date]:
        """The day of each event: more in summer, at weekends and round Bonfire Night."""
        weights = []
        for offset in range(DAYS):
            day = self.start + datetime.timedelta(days=offset)
            weight = 1 + 0.2 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365)
            weight += 0.25 if day.weekday() in (4, 5) else 0
            weight += 2.0 if day.month == 11 and 3 <= day.day <= 6 else 0
            weights.append(weight)
        cumulative, total = [], 0.0
        for weight in weights:
            total += weight
            cumulative.append(total)
        return [
            self.start
            + datetime.timedelta(
                days=bisect.bisect_left(cumulative, (number + 0.5) / FULL_EVENTS * total)
            )
            for number in range(FULL_EVENTS)
        ]

    def event_time(
        self, rng: random.Random, day: datetime.date, category: str
    ) -> datetime.datetime:
        if category in NIGHT and rng.random() < 0.75:
            minutes = (18 * 60 + rng.randint(0, 9 * 60)) % (24 * 60)
        else:
            minutes = rng.randint(7 * 60, 22 * 60)
        return datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))

    # Events --------------------------------------------------------------------------------

    def events(self, divisor: int) -> list[Event]:
        """The events of a size. Each event depends on its number alone, never on another
        event, so a smaller size's events are exactly the larger's with numbers it keeps."""
        days = self.event_days()
        events = []
        for number in range(0, FULL_EVENTS, divisor):
            rng = random.Random(f"{self.seed}:event:{number}")
            event = self.event(rng, number, days[number])
            if event is not None:
                events.append(event)
        return events

    def event(self, rng: random.Random, number: int, day: datetime.date) -> Event | None:
        tier = tier_of(number)
        limit = self.limits[tier]
        bonfire = day.month == 11 and 3 <= day.day <= 6
        if bonfire and rng.random() < 0.4:
            first, code = FIRE_CODE, "Secondary Fire - Deliberate (Refuse)"
        else:
            first = rng.choices(list(SHARE), weights=list(SHARE.values()))[0]
            codes = ORGANISATION_CODES[first]
            code = rng.choices(list(codes), weights=[c[2] for c in codes.values()])[0]
        category = ORGANISATION_CODES[first][code][0]
        _, cast, where = CATEGORIES[category]
        at = self.event_time(rng, day, category)
        if first == HOUSING_CODE:
            found = self.housing_cast(rng, category, limit, at.date())
            if found is None:
                return None
            (victim, subject, reporter), place = found
        else:
            involved = self.cast(rng, cast, limit, at.date())
            if involved is None:
                return None
            victim, subject, reporter = involved
            place = self.where(rng, where, victim, subject, at.date())
            if place is None:
                return None
        recorders = [(first, code)]
        for other, chance in ALSO_RECORDED.get((first, category), []):
            other_code = next(
                (c for c, spec in ORGANISATION_CODES[other].items() if spec[0] == category), None
            )
            if other_code and rng.random() < chance and self.can_record(other, place, victim):
                recorders.append((other, other_code))
        return Event(
            index=number,
            id=f"E{number + 1:05d}",
            tier=tier,
            at=at,
            category=category,
            place=place,
            victim=victim,
            subject=subject,
            reporter=reporter,
            risk=self.risk(rng, category, victim),
            flags=self.flags(victim, subject, category),
            recorders=recorders,
        )

    def can_record(self, org: str, place: Place, victim: Person | None) -> bool:
        if org == HOUSING_CODE:
            return place.tenure == "council"
        if org == NHS_CODE:
            return victim is not None
        return True

    def neighbour(self, rng: random.Random, of: Person, limit: int, day: datetime.date):
        """An adult living at another address with the same postcode on that day."""
        home = of.home_on(day)
        near = [
            p
            for other in self.population.homes_by_postcode.get(home.postcode, [])
            if other.id != home.id
            for p in self.population.residents.get(other.id, [])
            if p.index < limit and p.age_on(day) >= 18 and p.home_on(day).id == other.id
        ]
        return rng.choice(near) if near else None

    def housing_cast(
        self, rng: random.Random, category: str, limit: int, day: datetime.date
    ) -> tuple[tuple[Person | None, Person | None, Person | None], Place] | None:
        """Housing complaints are about its own tenants, at their council homes."""
        tenant = None
        for attempt in range(10):
            pool = "vulnerable" if category == "cuckooing" and attempt < 4 else "tenant"
            tenant = self.pools[pool].draw(rng, limit)
            if tenant is not None and tenant.home_on(day).tenure == "council":
                break
            tenant = None
        if tenant is None:
            return None
        home = tenant.home_on(day)
        if category == "cuckooing":
            return (tenant, self.pools["offender"].draw(rng, limit), None), home
        if category == "hoarding":
            return (None, tenant, None), home
        return (self.neighbour(rng, tenant, limit, day), tenant, None), home

    def cast(
        self, rng: random.Random, cast: str, limit: int, day: datetime.date
    ) -> tuple[Person | None, Person | None, Person | None] | None:
        pools = self.pools

        def draw(name: str) -> Person | None:
            return pools[name].draw(rng, limit)

        if cast == "neighbours":
            subject = draw("offender")
            if subject is None:
                return None
            complainant = self.neighbour(rng, subject, limit, day) or draw("adult")
            return complainant, subject, complainant if rng.random() < 0.3 else None
        if cast == "youth":
            return None, draw("youth"), draw("adult") if rng.random() < 0.4 else None
        if cast == "youth_maybe":
            subject = draw("youth") if rng.random() < 0.4 else None
            return None, subject, draw("adult") if rng.random() < 0.5 else None
        if cast == "youth_rarely":
            return None, draw("youth") if rng.random() < 0.15 else None, None
        if cast in ("occupier", "older", "hoarder", "welfare"):
            pool = {
                "occupier": "victim",
                "older": "older",
                "hoarder": "hoarder",
                "welfare": "older",
            }[cast]
            person = draw(pool) if cast != "welfare" or rng.random() < 0.6 else draw("vulnerable")
            if person is None:
                return None
            reporter = self.neighbour(rng, person, limit, day) if cast == "welfare" else None
            return person, None, reporter
        if cast == "assault":
            return draw("victim"), draw("offender"), None
        if cast == "couple":
            victim = draw("couple")
            if victim is None:
                return None
            partner = victim.partner
            if partner is None or partner.index >= limit:
                partner = draw("offender")
            return victim, partner, None
        if cast == "dealer":
            return None, draw("offender"), draw("adult") if rng.random() < 0.3 else None
        if cast == "cuckooing":
            return draw("vulnerable"), draw("offender"), None
        if cast == "victim":
            return draw("victim"), None, None
        if cast == "missing":
            person = draw("youth") if rng.random() < 0.6 else draw("vulnerable")
            if person is None:
                return None
            family = [
                p
                for p in self.population.residents.get(person.home_on(day).id, [])
                if p is not person and p.index < limit and p.age_on(day) >= 18
            ]
            return person, None, rng.choice(family) if family else None
        if cast == "mental_health":
            return draw("mental_health"), None, None
        raise ValueError(cast)

    def where(
        self,
        rng: random.Random,
        where: str,
        victim: Person | None,
        subject: Person | None,
        day: datetime.date,
    ) -> Place | None:
        population = self.population
        someone = subject or victim
        if where == "subject_home" and subject is not None:
            return subject.home_on(day)
        if where == "victim_home":
            person = victim or subject
            if person is None:
                return None
            return person.home_on(day)
        anchor = someone.home_on(day) if someone else rng.choice(population.places)
        kinds = {
            "public": ["road", "commercial", "open_space"],
            "outdoors": ["open_space", "road"],
            "night_out": ["licensed", "road"],
            "shops": ["commercial"],
            "road": ["road"],
        }.get(where, ["road"])
        if where == "night_out" and victim is not None and rng.random() < 0.3:
            return victim.home_on(day)
        return population.public_near(rng, anchor, kinds)

    def risk(self, rng: random.Random, category: str, victim: Person | None) -> str:
        weights = [1, 3, 6]
        if category in ("domestic_incident", "cuckooing", "self_harm", "dwelling_fire", "hoarding"):
            weights = [3, 4, 3]
        if victim is not None and victim.flags & {"older_person", "mental_health", "lives_alone"}:
            weights = [weights[0] + 1, weights[1] + 1, max(1, weights[2] - 2)]
        if victim is not None and self.prolific(victim) > 1:
            weights = [weights[0] + 2, weights[1], weights[2]]
        return rng.choices(["red", "amber", "green"], weights=weights)[0]

    def flags(self, victim: Person | None, subject: Person | None, category: str) -> list[str]:
        flags: list[str] = []
        for person in (victim, subject):
            if person is None:
                continue
            for flag in (
                "mental_health",
                "substance_misuse",
                "learning_disability",
                "limited_mobility",
                "older_person",
                "child",
                "lives_alone",
                "hoarding",
                "smoker",
            ):
                if flag in person.flags and flag not in flags:
                    if flag == "smoker" and category not in ("dwelling_fire", "hoarding"):
                        continue
                    flags.append(flag)
        if category == "domestic_incident":
            flags.append("domestic_abuse")
        if victim is not None and self.prolific(victim) > 4:
            flags.append("repeat_victim")
        return flags[:4]

    # Records -------------------------------------------------------------------------------

    def person_record(
        self, org: str, person: Person, rng: random.Random | None = None
    ) -> HeldPerson:
        """The partner's record of this person: usually one, sometimes a duplicate too (the
        event's own random choice picks which)."""
        records = self.person_records.get((org, person.index))
        if records is None:
            records = self._make_person_records(org, person)
            self.person_records[(org, person.index)] = records
        if len(records) > 1 and rng is not None and rng.random() < 0.4:
            return records[1]
        return records[0]

    def _make_person_records(self, org: str, person: Person) -> list[HeldPerson]:
        rng = rng_of(self.seed, "person-record", org, person.id)
        habits = HABITS[org]
        number = self.person_numbers[org][person.index]
        records = [self._person_variant(rng, org, person, habits, number * 2, [])]
        if rng.random() < habits.duplicate:
            # A second record of the same person, made by someone who did not find the first.
            records.append(
                self._person_variant(rng, org, person, habits, number * 2 + 1, ["duplicate"])
            )
        return records

    def _person_variant(
        self,
        rng: random.Random,
        org: str,
        person: Person,
        habits: Habits,
        number: int,
        variations: list[str],
    ) -> HeldPerson:
        variations = list(variations)
        given, family = person.given, person.family
        other_names: list[str] = []
        nicknames = nicknames_of(given)
        if nicknames and rng.random() < habits.nickname:
            given = rng.choice(nicknames)
            variations.append("nickname")
        if org == NHS_CODE:
            if nicknames and rng.random() < 0.1:
                other_names.append(rng.choice(nicknames))
            if person.maiden_name:
                other_names.append(person.maiden_name)
        if family in SPELLINGS and rng.random() < habits.spelling:
            family = rng.choice(SPELLINGS[family])
            variations.append("spelling")
        if rng.random() < habits.typo:
            if rng.random() < 0.5:
                given = typo(rng, given)
                variations.append("typo_given")
            else:
                family = typo(rng, family)
                variations.append("typo_family")
        if rng.random() < habits.swapped:
            given, family = family, given
            variations.append("swapped")
        born: datetime.date | None = person.born
        precision, swapped = "day", False
        draw = rng.random()
        if draw < habits.no_birth:
            born, precision = None, ""
            variations.append("no_birth_date")
        elif draw < habits.no_birth + habits.year_only:
            precision = "year"
            variations.append("birth_year_only")
        elif draw < habits.no_birth + habits.year_only + habits.month_only:
            precision = "month"
            variations.append("birth_month_only")
        elif (
            draw < habits.no_birth + habits.year_only + habits.month_only + habits.day_month
            and person.born.day <= 12
            and person.born.day != person.born.month
        ):
            swapped = True
            variations.append("day_month_swapped")
        sex = person.sex
        if org == FIRE_CODE and rng.random() < 0.3:
            sex = "unknown"
        # The address the partner last heard of: old if the person moved since.
        as_of = self.today - datetime.timedelta(days=rng.randint(0, habits.address_age))
        as_of = max(as_of, person.homes[0].start)
        home = next(
            (h for h in person.homes if h.start <= as_of and (h.end is None or as_of <= h.end)),
            person.homes[-1],
        )
        tenancy = person.tenancy
        if org == HOUSING_CODE and tenancy:
            # Housing knows its tenants by their (latest) council tenancy.
            home = tenancy
        if home is not person.homes[-1]:
            variations.append("old_address")
        postcode_given = rng.random() >= habits.no_postcode
        if not postcode_given:
            variations.append("no_postcode")
        prefixes = {
            POLICE_CODE: "NOM",
            FIRE_CODE: "OCC",
            COUNCIL_CODE: "CUS",
            HOUSING_CODE: "T" if tenancy else "C",
            NHS_CODE: "TAY",
        }
        width = 6 if org == HOUSING_CODE else 7
        return HeldPerson(
            organisation=org,
            source_ref=f"{prefixes[org]}{100000 + number:0{width}d}",
            person=person,
            given=given,
            family=family,
            other_names=other_names,
            born=born,
            precision=precision,
            day_month_swapped=swapped,
            sex=sex,
            address=home.place,
            # Housing knows when a tenancy started and ended, not when anyone else moved.
            address_from=(
                home.start
                if home.start > person.born and (org != HOUSING_CODE or tenancy)
                else None
            ),
            address_to=home.end if org != HOUSING_CODE or tenancy else None,
            postcode_given=postcode_given,
            variations=variations,
        )

    def place_record(self, org: str, place: Place) -> HeldPlace:
        key = (org, place.index)
        record = self.place_records.get(key)
        if record is None:
            record = self._make_place_record(org, place)
            self.place_records[key] = record
        return record

    def _make_place_record(self, org: str, place: Place) -> HeldPlace:
        rng = rng_of(self.seed, "place-record", org, place.id)
        variations: list[str] = []
        street = place.street_address
        if org != HOUSING_CODE and rng.random() < 0.25 and _abbreviate(street) != street:
            street = _abbreviate(street)
            variations.append("abbreviated")
        line_1, line_2 = place.line_1, street if place.line_2 else ""
        if not place.line_2:
            line_1 = street
        town = "Dundee"
        if place.flat and org in (POLICE_CODE, COUNCIL_CODE, FIRE_CODE) and rng.random() < 0.5:
            # "2/1, 14 Hilltown" on one line, as the caller said it.
            line_1, line_2 = f"{place.flat}, {street}", ""
            variations.append("flat_in_line_1")
        postcode = place.postcode
        easting: int | None = place.easting
        northing: int | None = place.northing
        if org == POLICE_CODE:
            if rng.random() < 0.08:
                postcode = ""
                variations.append("no_postcode")
            if rng.random() < 0.1 and postcode:
                easting = northing = None
        elif org == FIRE_CODE:
            postcode = ""
        elif org == COUNCIL_CODE:
            easting = northing = None
            if rng.random() < 0.02:
                postcode = _wrong_postcode(rng, postcode)
                variations.append("postcode_typo")
        else:
            easting = northing = None
        if easting is not None and northing is not None and org == POLICE_CODE:
            # Police geocode the locus to a nearby point, still within the data zone.
            minx, miny, maxx, maxy = place.bounds
            easting = int(min(max(easting + rng.randint(-15, 15), minx + 2), maxx - 2))
            northing = int(min(max(northing + rng.randint(-15, 15), miny + 2), maxy - 2))
        prefixes = {
            POLICE_CODE: "LC",
            FIRE_CODE: "SFL",
            COUNCIL_CODE: "LOC",
            HOUSING_CODE: "PR",
            NHS_CODE: "X",
        }
        number = self.place_numbers[org][place.index]
        return HeldPlace(
            organisation=org,
            source_ref=f"{prefixes[org]}{200000 + number:07d}",
            place=place,
            line_1=line_1,
            line_2=line_2,
            town=town,
            postcode=postcode,
            easting=easting,
            northing=northing,
            variations=variations,
        )


def _abbreviate(line: str) -> str:
    for long, short in (
        (" Road", " Rd"),
        (" Street", " St"),
        (" Avenue", " Ave"),
        (" Drive", " Dr"),
        (" Crescent", " Cres"),
        (" Terrace", " Ter"),
    ):
        if line.endswith(long):
            return line[: -len(long)] + short
    return line


def _wrong_postcode(rng: random.Random, postcode: str) -> str:
    """A well-formed postcode one letter off the right one (it may not exist)."""
    letters = "ABDEFGHJLNPQRSTUWXY"
    last = rng.choice([c for c in letters if c != postcode[-1]])
    return postcode[:-1] + last
