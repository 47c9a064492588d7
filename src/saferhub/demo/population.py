"""The demo's invented Dundee: the true places and the true people the partner exports describe.

Everything here is the truth that partner systems record imperfectly (saferhub.demo.partner_exports
writes their exports and the answer key). Addresses sit on the demo geography's postcodes, with
coordinates inside their data zones, so that every place resolves; people live in households,
some of which moved house in the last few years, so old addresses turn up in partners' records.
"""

import bisect
import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from saferhub.demo.names import FAMILY_NAMES, FAMILY_WEIGHTS, FEMALE_NAMES, MALE_NAMES
from saferhub.people.identifiers import chi_check_digit

STREETS = [
    "Hilltown",
    "Strathmartine Road",
    "Lochee Road",
    "Clepington Road",
    "Arbroath Road",
    "Perth Road",
    "Blackness Road",
    "Dens Road",
    "Albert Street",
    "Kinghorne Road",
    "Alexander Street",
    "Ann Street",
    "Victoria Road",
    "Princes Street",
    "Forfar Road",
    "Pitkerro Road",
    "Charleston Drive",
    "Menzieshill Road",
    "Dunholm Road",
    "Kirkton Road",
    "Ardler Crescent",
    "Whitfield Drive",
    "Fintry Road",
    "Mains Loan",
    "Americanmuir Road",
    "Balgay Road",
    "Logie Street",
    "South Road",
    "Brook Street",
    "Broughty Ferry Road",
    "Queen Street",
    "Baffin Street",
    "Mid Craigie Road",
    "Longhaugh Road",
    "Happyhillock Road",
    "Balunie Drive",
    "Craigie Avenue",
    "Douglas Road",
    "Finlathen Street",
    "Caird Avenue",
    "Macalpine Road",
    "Lawton Road",
    "Kingsway East",
    "Harefield Road",
    "Benvie Road",
    "Lyon Street",
    "Dura Street",
    "Park Avenue",
    "Morgan Street",
    "Bingham Terrace",
    "Provost Road",
    "Tullideph Road",
    "Dalkeith Road",
    "Baxter Park Terrace",
    "Glamis Road",
    "Gowrie Street",
    "Muirton Road",
    "Charleston Road",
    "Ballindean Terrace",
    "Beauly Avenue",
]
PARKS = ["Baxter Park", "Caird Park", "Lochee Park", "Dawson Park", "Balgay Park", "Stobsmuir"]
BARS = ["The Tay Bar", "The Clep", "Frews Bar", "The Corner Bar", "Mennie's", "The Hilltown Tavern"]
SCHOOLS = ["St Mary's Primary School", "Ardler Primary School", "Braeview Academy"]
TOWN = "Dundee"


@dataclass(frozen=True)
class PostcodePoint:
    """A postcode of the demo geography: its grid reference and its data zone's square."""

    postcode: str
    data_zone: str
    easting: int
    northing: int
    # The data zone's square in British National Grid: min easting, min northing, max, max.
    bounds: tuple[float, float, float, float]


@dataclass
class Place:
    id: str
    index: int
    # A value of saferhub.places.models.PropertyType.
    property_type: str
    street: str
    number: int | None
    flat: str  # "2/1" (floor 2, door 1) in a tenement; "" otherwise
    name: str  # a park, bar, school or shops; "" for a home
    postcode: str
    data_zone: str
    easting: int
    northing: int
    bounds: tuple[float, float, float, float]
    uprn: str
    # council, association, private or owner for a home; "" for anywhere else.
    tenure: str = ""

    @property
    def is_home(self) -> bool:
        return self.property_type in ("house", "flat")

    @property
    def street_address(self) -> str:
        return f"{self.number} {self.street}" if self.number else self.street

    @property
    def line_1(self) -> str:
        """The flat or the place's name when it has one, else the street address."""
        if self.name:
            return self.name
        return f"Flat {self.flat}" if self.flat else self.street_address

    @property
    def line_2(self) -> str:
        return self.street_address if self.name or self.flat else ""

    @property
    def one_line(self) -> str:
        return ", ".join(part for part in (self.line_1, self.line_2) if part)


@dataclass(frozen=True)
class Home:
    place: Place
    start: datetime.date
    end: datetime.date | None  # None: lives there now


@dataclass
class Person:
    id: str
    index: int
    given: str
    family: str
    sex: str
    born: datetime.date
    chi: str
    phone: str
    email: str
    household: int
    homes: list[Home]
    flags: set[str] = field(default_factory=set)
    partner: "Person | None" = None
    # A former family name (a woman who married, as an NHS record may still hold).
    maiden_name: str = ""

    def age_on(self, day: datetime.date) -> int:
        return day.year - self.born.year - ((day.month, day.day) < (self.born.month, self.born.day))

    def home_on(self, day: datetime.date) -> Place:
        for home in self.homes:
            if home.start <= day and (home.end is None or day <= home.end):
                return home.place
        return self.homes[-1].place if day > self.homes[-1].start else self.homes[0].place

    @property
    def moved(self) -> bool:
        return len(self.homes) > 1

    @property
    def tenancy(self) -> Home | None:
        """The person's latest council tenancy: a council home they moved into as an adult
        (a child growing up in one is not the tenant)."""
        tenancies = [
            home
            for home in self.homes
            if home.place.tenure == "council" and self.age_on(home.start) >= 16
        ]
        return tenancies[-1] if tenancies else None


@dataclass
class Population:
    places: list[Place]
    people: list[Person]
    homes_by_postcode: dict[str, list[Place]]
    public_by_zone: dict[str, list[Place]]
    residents: dict[str, list[Person]]  # place id -> everyone who ever lived there

    def public_near(self, rng: random.Random, place: Place, kinds: Sequence[str]) -> Place:
        """A park, street, bar or shops in the same data zone, else anywhere of that kind."""
        nearby = [
            p for p in self.public_by_zone.get(place.data_zone, []) if p.property_type in kinds
        ]
        if nearby:
            return rng.choice(nearby)
        anywhere = [p for p in self.places if p.property_type in kinds]
        return rng.choice(anywhere)


def population_build(
    *, postcodes: Sequence[PostcodePoint], people: int, today: datetime.date, seed: int
) -> Population:
    """The true places and people, the same for the same postcodes, size, day and seed."""
    if not postcodes:
        raise ValueError("the demo population needs postcodes: load the demo geography first")
    rng = random.Random(f"{seed}:population")
    places = _places(rng, sorted(postcodes, key=lambda p: p.postcode))
    homes_by_postcode: dict[str, list[Place]] = {}
    public_by_zone: dict[str, list[Place]] = {}
    for place in places:
        if place.is_home:
            homes_by_postcode.setdefault(place.postcode, []).append(place)
        else:
            public_by_zone.setdefault(place.data_zone, []).append(place)
    persons = _people(rng, [p for p in places if p.is_home], people, today)
    residents: dict[str, list[Person]] = {}
    for person in persons:
        for home in person.homes:
            residents.setdefault(home.place.id, []).append(person)
    return Population(places, persons, homes_by_postcode, public_by_zone, residents)


def _inside(rng: random.Random, point: PostcodePoint, spread: int) -> tuple[int, int]:
    """A grid reference near the postcode's, kept a few metres inside its data zone."""
    minx, miny, maxx, maxy = point.bounds
    east = point.easting + rng.randint(-spread, spread)
    north = point.northing + rng.randint(-spread, spread)
    return (
        int(min(max(east, minx + 3), maxx - 3)),
        int(min(max(north, miny + 3), maxy - 3)),
    )


def _places(rng: random.Random, postcodes: list[PostcodePoint]) -> list[Place]:
    places: list[Place] = []
    next_number: dict[str, int] = {}
    seen_zones: set[str] = set()

    def add(point: PostcodePoint, **values) -> Place:
        index = len(places)
        east, north = _inside(rng, point, 70)
        place = Place(
            id=f"A{index + 1:05d}",
            index=index,
            postcode=point.postcode,
            data_zone=point.data_zone,
            easting=east,
            northing=north,
            bounds=point.bounds,
            # Dundee's UPRNs start 905...; ours are made up but unique.
            uprn=f"9051{index + 1:06d}{rng.randint(0, 9)}",
            **values,
        )
        places.append(place)
        return place

    for point in postcodes:
        street = rng.choice(STREETS)
        tenements = rng.random() < 0.55
        for _ in range(rng.randint(3, 7)):
            number = next_number.get(street, rng.randint(1, 9))
            next_number[street] = number + rng.choice([1, 2, 2])
            tenure = rng.choices(
                ["council", "association", "private", "owner"], weights=[30, 10, 25, 35]
            )[0]
            if tenements:
                first = len(places)
                for floor in range(rng.randint(1, 3)):
                    for door in (1, 2):
                        add(
                            point,
                            property_type="flat",
                            street=street,
                            number=number,
                            flat=f"{floor}/{door}",
                            name="",
                            tenure=tenure,
                        )
                # Flats in one close share the close's grid reference.
                for flat in places[first + 1 :]:
                    flat.easting, flat.northing = places[first].easting, places[first].northing
            else:
                add(
                    point,
                    property_type="house",
                    street=street,
                    number=number,
                    flat="",
                    name="",
                    tenure=tenure,
                )
        # Streets, shops and the like: a few per data zone, where ASB and crime happen.
        if point.data_zone in seen_zones:
            continue
        seen_zones.add(point.data_zone)
        add(point, property_type="road", street=street, number=None, flat="", name="")
        add(
            point,
            property_type="commercial",
            street=street,
            number=rng.randint(1, 120),
            flat="",
            name=f"{street.split()[0]} Shops",
        )
        extra = rng.random()
        if extra < 0.25:
            add(
                point,
                property_type="open_space",
                street=street,
                number=None,
                flat="",
                name=rng.choice(PARKS),
            )
        elif extra < 0.45:
            add(
                point,
                property_type="licensed",
                street=street,
                number=rng.randint(1, 200),
                flat="",
                name=rng.choice(BARS),
            )
        elif extra < 0.52:
            add(
                point,
                property_type="school",
                street=street,
                number=None,
                flat="",
                name=rng.choice(SCHOOLS),
            )
        else:
            add(
                point,
                property_type="open_space",
                street=street,
                number=None,
                flat="",
                name=f"Lane behind {street}",
            )
    return places


def _weighted(rng: random.Random, names: dict[str, list[str]]) -> str:
    return rng.choice(list(names))


def _chi(rng: random.Random, born: datetime.date, sex: str) -> str:
    """A CHI number valid by modulus 11: DDMMYY, two digits, a sex digit (odd for men), check."""
    while True:
        sex_digit = rng.choice("13579" if sex == "male" else "02468")
        first_nine = f"{born:%d%m%y}{rng.randint(0, 99):02d}{sex_digit}"
        check = chi_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"


def _people(
    rng: random.Random, homes: list[Place], count: int, today: datetime.date
) -> list[Person]:
    free = homes[:]
    rng.shuffle(free)
    people: list[Person] = []
    household = 0

    def person(family: str, sex: str, age: int) -> Person:
        names = MALE_NAMES if sex == "male" else FEMALE_NAMES
        given = _weighted(rng, names)
        born = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
        index = len(people)
        phone = f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}" if age >= 14 else ""
        email = ""
        if age >= 16 and rng.random() < 0.3:
            email = f"{given.lower()}.{family.lower()}{rng.randint(1, 99)}@example.com"
            email = email.replace("'", "").replace(" ", "").replace("ë", "e").replace("ó", "o")
            email = email.replace("í", "i").replace("á", "a")
        made = Person(
            id=f"P{index + 1:05d}",
            index=index,
            given=given,
            family=family,
            sex=sex,
            born=born,
            chi=_chi(rng, born, sex),
            phone=phone,
            email=email,
            household=household,
            homes=[],
        )
        people.append(made)
        return made

    while len(people) < count and len(free) > 1:
        household += 1
        family = rng.choices(FAMILY_NAMES, weights=FAMILY_WEIGHTS)[0]
        head_age = int(min(92, max(18, rng.gauss(44, 18))))
        head_sex = rng.choice(["male", "female"])
        members = [person(family, head_sex, head_age)]
        if head_age < 80 and rng.random() < 0.45:
            partner_family = family if rng.random() < 0.6 else rng.choice(FAMILY_NAMES)
            partner = person(
                partner_family,
                "female" if head_sex == "male" else "male",
                int(max(18, head_age + rng.randint(-6, 6))),
            )
            partner.partner, members[0].partner = members[0], partner
            if partner.sex == "female" and partner_family == family and rng.random() < 0.7:
                partner.maiden_name = rng.choice(FAMILY_NAMES)
            members.append(partner)
        if 22 <= head_age <= 55 and rng.random() < 0.5:
            for _ in range(rng.choice([1, 1, 2, 2, 3])):
                child_age = rng.randint(0, min(17, head_age - 18))
                members.append(person(family, rng.choice(["male", "female"]), child_age))
        home = free.pop()
        settled = today - datetime.timedelta(days=rng.randint(700, 9000))
        # About one household in five moved in the last few years: its old address stays in
        # the records of partners who knew it then.
        if rng.random() < 0.2 and free:
            old = free.pop()
            moved_on = today - datetime.timedelta(days=rng.randint(30, 1100))
            settled = min(settled, moved_on - datetime.timedelta(days=365))
            stays = [
                Home(old, settled, moved_on - datetime.timedelta(days=1)),
                Home(home, moved_on, None),
            ]
        else:
            stays = [Home(home, settled, None)]
        for member in members:
            # Nobody lived anywhere before they were born.
            member.homes = [
                Home(h.place, max(h.start, member.born), h.end)
                for h in stays
                if h.end is None or h.end >= member.born
            ]
            _flags(rng, member, len(members), today)
    return people[:count]


def _flags(rng: random.Random, person: Person, household_size: int, today: datetime.date) -> None:
    age = person.age_on(today)
    flags = person.flags
    if household_size == 1:
        flags.add("lives_alone")
    if age >= 16:
        if rng.random() < 0.09:
            flags.add("mental_health")
        if rng.random() < (0.12 if person.sex == "male" and age < 50 else 0.05):
            flags.add("substance_misuse")
        if rng.random() < 0.2:
            flags.add("smoker")
        if rng.random() < 0.02:
            flags.add("learning_disability")
    if age >= 70:
        flags.add("older_person")
        if rng.random() < 0.3:
            flags.add("limited_mobility")
        if rng.random() < 0.04:
            flags.add("hoarding")
    if age < 16:
        flags.add("child")


class Pool:
    """People to draw from for one part in an event, some more often than others.

    A draw can be limited to the first N people, so that a smaller export set involves only
    the people it includes (saferhub.demo.partner_exports.SIZES)."""

    def __init__(self, weighted: list[tuple[Person, float]]):
        weighted.sort(key=lambda pair: pair[0].index)
        self.people = [p for p, _ in weighted]
        self.indices = [p.index for p in self.people]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in weighted:
            total += weight
            self.cumulative.append(total)

    def draw(self, rng: random.Random, limit: int) -> Person | None:
        available = bisect.bisect_left(self.indices, limit)
        if not available:
            return None
        point = rng.random() * self.cumulative[available - 1]
        return self.people[min(bisect.bisect_right(self.cumulative, point), available - 1)]
