"""A small invented population for linkage tests: people recorded by three Fife partners, each
partner getting them slightly wrong (a familiar name, a slip of a finger, names swapped, a date
known only to the year or with day and month swapped, an old address), with the answer key of
which records are the same person."""

import datetime
import random
from dataclasses import dataclass, field

import pytest

from saferhub.demo.names import FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES, nicknames_of, typo
from saferhub.incidents.vocabulary import Sex
from saferhub.partnerships.models import Organisation, Partnership
from saferhub.people.identifiers import name_key
from saferhub.people.models import DatePrecision, PersonAddress, PersonRecord
from saferhub.people.services import other_names_key
from saferhub.places.addresses import address_key
from saferhub.places.models import PlaceRecord

STREETS = [
    "High Street",
    "Kirk Wynd",
    "Station Road",
    "Main Street",
    "Church Street",
    "Bank Street",
]
POSTCODES = ["KY1 1AA", "KY1 2BB", "KY2 5CD", "KY2 6EF", "KY7 4GH", "KY8 3JK"]
ORGANISATIONS = ["police-fife", "fife-council-asb", "nhs-fife"]


@dataclass
class Population:
    """The records made, and which true person (or place) each is."""

    person_of: dict[int, int] = field(default_factory=dict)
    place_of: dict[int, int] = field(default_factory=dict)

    def true_pairs(self, which: dict[int, int]) -> set[tuple[int, int]]:
        by_truth: dict[int, list[int]] = {}
        for record, truth in which.items():
            by_truth.setdefault(truth, []).append(record)
        return {(a, b) for records in by_truth.values() for a in records for b in records if a < b}


def person_record(
    organisation: Organisation,
    source_ref: str,
    *,
    given: str = "",
    family: str = "",
    born: datetime.date | None = None,
    precision: str = DatePrecision.DAY,
    sex: str = Sex.UNKNOWN,
    chi: str = "",
    address: str = "",
    postcode: str = "",
    other_names: tuple[str, ...] = (),
) -> PersonRecord:
    """A person record written straight to the database, keys folded as the services do."""
    if born is not None and precision == DatePrecision.YEAR:
        born = born.replace(month=1, day=1)
    elif born is not None and precision == DatePrecision.MONTH:
        born = born.replace(day=1)
    record = PersonRecord.objects.create(
        organisation=organisation,
        source_ref=source_ref,
        given_name=given,
        family_name=family,
        given_key=name_key(given),
        family_key=name_key(family),
        other_names=list(other_names),
        other_keys=other_names_key(other_names),
        date_of_birth=born,
        date_of_birth_precision=precision if born else "",
        sex=sex,
        chi_number=chi,
    )
    if address:
        PersonAddress.objects.create(person=record, address=address, postcode=postcode)
    return record


def _chi(born: datetime.date, rng: random.Random) -> str:
    return born.strftime("%d%m%y") + f"{rng.randint(0, 9999):04d}"


def people_build(partnership: Partnership, *, people: int = 70, seed: int = 5) -> Population:
    """About `people` * 2 person records of `people` true people across three partners."""
    rng = random.Random(seed)
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=ORGANISATIONS)}
    population = Population()
    for index in range(people):
        sex = rng.choice([Sex.MALE, Sex.FEMALE])
        given = rng.choice(list(MALE_NAMES if sex == Sex.MALE else FEMALE_NAMES))
        family = rng.choice(FAMILY_NAMES)
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 20000))
        chi = _chi(born, rng)
        number = rng.randint(1, 120)
        street = rng.choice(STREETS)
        postcode = rng.choice(POSTCODES)
        holders = rng.sample(ORGANISATIONS, rng.choice([1, 2, 2, 3, 3]))
        for code in holders:
            values: dict = {
                "given": given,
                "family": family,
                "born": born,
                "sex": sex,
                "address": f"{number} {street}",
                "postcode": postcode,
            }
            roll = rng.random()
            if code == "police-fife":
                if roll < 0.3 and nicknames_of(given):
                    values["given"] = rng.choice(nicknames_of(given))
                elif roll < 0.4:
                    values["given"], values["family"] = family, given
                elif roll < 0.5:
                    values["family"] = typo(rng, family)
            elif code == "fife-council-asb":
                if roll < 0.2:
                    values["precision"] = DatePrecision.YEAR
                elif roll < 0.3 and born.day <= 12:
                    values["born"] = born.replace(month=born.day, day=born.month)
                elif roll < 0.4:
                    values["postcode"] = rng.choice(POSTCODES)
                    values["address"] = f"{rng.randint(1, 120)} {rng.choice(STREETS)}"
                if rng.random() < 0.1:
                    values["sex"] = Sex.UNKNOWN
            else:
                values["chi"] = chi
                if roll < 0.2:
                    values["given"] = typo(rng, given)
            record = person_record(organisations[code], f"P{index:04d}-{code[:3]}", **values)
            population.person_of[record.pk] = index
    return population


def places_build(partnership: Partnership, *, places: int = 40, seed: int = 7) -> Population:
    """Place records of `places` true places, some with a UPRN, some written differently."""
    rng = random.Random(seed)
    organisations = list(Organisation.objects.filter(code__in=ORGANISATIONS))
    population = Population()
    for index in range(places):
        number = index + 1
        street = rng.choice(STREETS)
        postcode = rng.choice(POSTCODES)
        uprn = str(320000000 + index)
        for organisation in rng.sample(organisations, rng.choice([1, 2, 3])):
            line = f"{number} {street}"
            if rng.random() < 0.3:
                line = line.replace("Street", "St").replace("Road", "Rd")
            record = PlaceRecord.objects.create(
                organisation=organisation,
                source_ref=f"L{index:04d}-{organisation.code[:3]}",
                address_line_1=line,
                town="Kirkcaldy",
                postcode=postcode,
                uprn=uprn if rng.random() < 0.5 else "",
                address_key=address_key(line, "Kirkcaldy", postcode),
            )
            population.place_of[record.pk] = index
    return population


@pytest.fixture
def people(fife) -> Population:
    return people_build(fife)


@pytest.fixture
def places(fife) -> Population:
    return places_build(fife)
