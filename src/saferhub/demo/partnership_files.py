"""The demo partnerships as partnership files: Tayside's partnerships, with invented people.

Deterministic for a seed and a day: the same seed gives the same users, and review dates
sit at the same distance from today so that the demo always shows a protocol nearing review.
"""

import datetime
import random
from dataclasses import dataclass
from typing import Any

GIVEN_NAMES = [
    "Aileen",
    "Alasdair",
    "Amy",
    "Andrew",
    "Callum",
    "Catriona",
    "Craig",
    "David",
    "Eilidh",
    "Euan",
    "Fiona",
    "Fraser",
    "Gillian",
    "Graeme",
    "Hamish",
    "Heather",
    "Iain",
    "Isla",
    "Jamie",
    "Jennifer",
    "Kirsty",
    "Kenneth",
    "Laura",
    "Lewis",
    "Lorna",
    "Morag",
    "Murray",
    "Niamh",
    "Neil",
    "Rhona",
    "Ross",
    "Ruaridh",
    "Shona",
    "Stuart",
    "Struan",
    "Yvonne",
]
FAMILY_NAMES = [
    "Anderson",
    "Bell",
    "Brown",
    "Cameron",
    "Campbell",
    "Clark",
    "Crawford",
    "Davidson",
    "Douglas",
    "Duncan",
    "Ferguson",
    "Fraser",
    "Graham",
    "Grant",
    "Hamilton",
    "Henderson",
    "Hughes",
    "Johnston",
    "Kerr",
    "MacDonald",
    "MacKenzie",
    "MacLeod",
    "Martin",
    "Millar",
    "Mitchell",
    "Morrison",
    "Murray",
    "Paterson",
    "Reid",
    "Robertson",
    "Ross",
    "Scott",
    "Sinclair",
    "Stewart",
    "Thomson",
    "Watson",
    "Wilson",
    "Young",
]

SIZES = {
    # partnerships loaded, and practitioners added per very or fairly involved organisation
    "small": (2, 0),
    "medium": (3, 3),
    "large": (4, 8),
}

CORE_THEMES = [
    "asb",
    "home_safety",
    "fire_safety",
    "road_safety",
    "substance_misuse",
    "violence",
    "acquisitive_crime",
    "hate_crime",
    "mental_health",
]


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    kind: str
    domain: str


POLICE = Org("police-tayside", "Police Scotland, Tayside Division", "police", "police.example.scot")
FIRE = Org(
    "sfrs-pkad",
    "Scottish Fire and Rescue Service, Perth & Kinross, Angus and Dundee",
    "fire",
    "firescotland.example.scot",
)
NHS = Org("nhs-tayside", "NHS Tayside", "nhs", "nhs.example.scot")
VICTIM_SUPPORT = Org(
    "victim-support-tayside", "Victim Support Scotland, Tayside", "third_sector", "vss.example.org"
)
SCRA = Org(
    "scra-tayside",
    "Scottish Children's Reporter Administration, Tayside",
    "children_reporter",
    "scra.example.scot",
)


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    local_authority: str
    setting: str
    council: Org
    housing: Org | None
    landlord: Org | None


AREAS = [
    Area(
        "dundee",
        "Dundee Community Safety Partnership",
        "Dundee City",
        "urban",
        Org(
            "dundee-council-cs",
            "Dundee City Council, Community Safety and ASB",
            "local_authority",
            "dundeecity.example.gov.uk",
        ),
        Org(
            "dundee-council-housing",
            "Dundee City Council, Housing",
            "housing",
            "dundeecity.example.gov.uk",
        ),
        Org("tay-valley-ha", "Tay Valley Housing Association", "housing", "tayvalley.example.org"),
    ),
    Area(
        "angus",
        "Angus Community Safety Partnership",
        "Angus",
        "rural",
        Org(
            "angus-council-cs",
            "Angus Council, Community Safety",
            "local_authority",
            "angus.example.gov.uk",
        ),
        None,
        None,
    ),
    Area(
        "perth-kinross",
        "Perth and Kinross Community Safety Partnership",
        "Perth and Kinross",
        "rural",
        Org(
            "pkc-community-safety",
            "Perth & Kinross Council, Safer Communities",
            "local_authority",
            "pkc.example.gov.uk",
        ),
        Org("pkc-housing", "Perth & Kinross Council, Housing", "housing", "pkc.example.gov.uk"),
        None,
    ),
    Area(
        "fife",
        "Fife Community Safety Partnership",
        "Fife",
        "urban",
        Org(
            "fife-council-asb",
            "Fife Council, Safer Communities",
            "local_authority",
            "fife.example.gov.uk",
        ),
        Org("fife-council-housing", "Fife Council, Housing", "housing", "fife.example.gov.uk"),
        Org("kingdom-ha", "Kingdom Housing Association", "housing", "kingdomhousing.example.org"),
    ),
]

# Named users everyone can find in the docs; the rest are invented from the seed.
PERSONAS = [
    # username, name, organisation role in the area ("council", "police", ...), roles
    ("demo.manager", "Morag Sinclair", "council", ["manager"]),
    ("demo.coordinator", "Callum Reid", "council", ["coordinator", "practitioner"]),
    ("demo.analyst", "Isla Duncan", "council", ["analyst"]),
    ("demo.admin", "Graeme Watson", "council", ["admin", "manager"]),
    ("demo.police", "Kirsty Ferguson", "police", ["practitioner"]),
    ("demo.fire", "Euan MacLeod", "fire", ["practitioner"]),
    ("demo.housing", "Shona Paterson", "housing", ["practitioner"]),
    ("demo.nurse", "Fiona Grant", "nhs", ["practitioner"]),
    ("demo.victimsupport", "Rhona Hughes", "victim_support", ["practitioner"]),
    ("demo.dpo", "Stuart Bell", "police", ["data_protection_lead"]),
    ("demo.auditor", "Lorna Martin", "council", ["auditor"]),
]


def _members(area: Area) -> list[tuple[str, Org, str]]:
    """(slot, organisation, involvement) for every member of an area's partnership."""
    members = [
        ("council", area.council, "very"),
        ("police", POLICE, "very"),
        ("fire", FIRE, "very"),
        ("nhs", NHS, "fairly"),
        ("victim_support", VICTIM_SUPPORT, "fairly"),
    ]
    if area.housing:
        members.append(("housing", area.housing, "very"))
    if area.landlord:
        members.append(("landlord", area.landlord, "a_little"))
    if area.code == "dundee":
        members.append(("scra", SCRA, "not"))
    return members


def _invented_users(
    rng: random.Random, members: list[tuple[str, Org, str]], count: int, taken: set[str]
) -> list[dict[str, Any]]:
    users = []
    roles_cycle = ["practitioner"] * 6 + ["coordinator", "analyst", "data_protection_lead"]
    while len(users) < count:
        _, org, involvement = members[len(users) % len(members)]
        if involvement == "not":
            members = [m for m in members if m[2] != "not"]
            continue
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        username = f"{given}.{family}".lower()
        if username in taken:
            continue
        taken.add(username)
        role = roles_cycle[len(users) % len(roles_cycle)]
        users.append(
            {
                "username": username,
                "name": f"{given} {family}",
                "email": f"{username}@{org.domain}",
                "organisation": org.code,
                "roles": [role],
            }
        )
    return users


def demo_partnership_files(
    *, size: str = "small", seed: int = 2026, today: datetime.date
) -> list[dict[str, Any]]:
    """The partnership files the demo applies, in order (an earlier version first)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    partnership_count, extra_practitioners = SIZES[size]
    rng = random.Random(seed)
    files: list[dict[str, Any]] = []
    taken = {username for username, *_ in PERSONAS}
    # Police and fire officers who cover several council areas hold roles in each.
    shared_users: list[dict[str, Any]] = []

    for index, area in enumerate(AREAS[:partnership_count]):
        members = _members(area)
        by_slot = {slot: org for slot, org, _ in members}
        users: list[dict[str, Any]] = []
        if index == 0:
            for username, name, slot, roles in PERSONAS:
                org = by_slot[slot]
                users.append(
                    {
                        "username": username,
                        "name": name,
                        "email": f"{username}@{org.domain}",
                        "organisation": org.code,
                        "roles": roles,
                    }
                )
            # 30 users in the first partnership at the small size.
            users += _invented_users(rng, members, 19 + extra_practitioners * 3, taken)
            shared_users = [u for u in users if u["organisation"] in (POLICE.code, FIRE.code)][:4]
        else:
            local = _invented_users(rng, members, 8 + extra_practitioners * 2, taken)
            users = local + [dict(u) for u in shared_users]
        users.sort(key=lambda u: u["username"])

        files.append(
            {
                "partnership": {
                    "code": area.code,
                    "name": area.name,
                    "local_authority": area.local_authority,
                    "region": "east",
                    "setting": area.setting,
                },
                "organisations": [
                    {
                        "code": org.code,
                        "name": org.name,
                        "kind": org.kind,
                        "involvement": involvement,
                    }
                    for _, org, involvement in members
                ],
                "funded_posts": _funded_posts(area, by_slot),
                "users": users,
                "themes": [{"code": "cuckooing", "name": "Cuckooing"}] if index == 0 else [],
                "protocols": _protocols(area, by_slot, today),
            }
        )
    return files


def _funded_posts(area: Area, by_slot: dict[str, Org]) -> list[dict[str, Any]]:
    council = by_slot["council"].code
    posts = [
        {
            "funder": council,
            "host": POLICE.code,
            "post": "campus police officer",
            "annual_cost_gbp": 52000,
        },
        {
            "funder": council,
            "host": POLICE.code,
            "post": "local authority liaison officer",
            "annual_cost_gbp": 56500,
        },
        {
            "funder": council,
            "host": VICTIM_SUPPORT.code,
            "post": "domestic abuse advocate",
            "annual_cost_gbp": 36800,
        },
        {
            "funder": NHS.code,
            "host": FIRE.code,
            "post": "home fire safety advocate",
            "annual_cost_gbp": 31200,
        },
    ]
    if "landlord" in by_slot:
        posts.append(
            {
                "funder": by_slot["landlord"].code,
                "host": council,
                "post": "ASB mediation officer",
                "annual_cost_gbp": 34100,
            }
        )
    if area.setting == "rural":
        posts = posts[:3]
    return posts


def _protocols(area: Area, by_slot: dict[str, Org], today: datetime.date) -> list[dict]:
    council = by_slot["council"].code
    core = [council, POLICE.code, FIRE.code, NHS.code] + (
        [by_slot["housing"].code] if "housing" in by_slot else []
    )
    year = today.year
    protocols = [
        {
            "code": f"{area.code}-isp",
            "title": f"{area.local_authority} Community Safety Information Sharing Protocol",
            "version": 3,
            "status": "active",
            "effective_from": f"{year - 1}-04-01",
            "expires_on": f"{year + 2}-03-31",
            "review_by": f"{year + 1}-03-31",
            "signatories": core,
            "themes": CORE_THEMES,
            "level": "personal",
            "audience": "all_signatories",
            "purposes": ["tasking", "referral", "analysis"],
            "legal_basis": "UK GDPR Art 6(1)(e) public task; DPA 2018 Sch 1 para 6 and 10",
            "retention_months": 24,
        },
        {
            "code": f"{area.code}-adult-protection",
            "title": (
                f"{area.local_authority} Adult Support and Protection Information Sharing Protocol"
            ),
            "version": 2,
            "status": "active",
            "effective_from": f"{year - 2}-10-01",
            "review_by": (today + datetime.timedelta(days=45)).isoformat(),
            "signatories": [council, POLICE.code, NHS.code],
            "themes": ["adult_protection", "mental_health"],
            "level": "personal",
            "audience": "relevant_partners",
            "purposes": ["tasking", "referral"],
            "legal_basis": (
                "Adult Support and Protection (Scotland) Act 2007 s.5; UK GDPR Art 6(1)(e), 9(2)(g)"
            ),
            "retention_months": 36,
        },
    ]
    asb_partners = [council, POLICE.code] + [
        by_slot[slot].code for slot in ("housing", "landlord") if slot in by_slot
    ]
    protocols.insert(
        1,
        {
            "code": f"{area.code}-asb",
            "title": f"{area.local_authority} Antisocial Behaviour Information Sharing Protocol",
            "version": 1,
            "status": "active",
            "effective_from": f"{year - 1}-01-15",
            "review_by": f"{year + 1}-01-15",
            "signatories": asb_partners,
            "themes": ["asb", "cuckooing"] if area.code == "dundee" else ["asb"],
            "level": "depersonalised" if area.setting == "rural" else "personal",
            "audience": "relevant_partners",
            "purposes": ["tasking", "referral"],
            "legal_basis": (
                "Antisocial Behaviour etc. (Scotland) Act 2004 s.139; UK GDPR Art 6(1)(e)"
            ),
            "retention_months": 12,
        },
    )
    return protocols


def earlier_version(document: dict[str, Any]) -> dict[str, Any]:
    """The same partnership as it stood before its main protocol's latest version, so that
    the demo shows a protocol with a version history."""
    earlier = {**document, "protocols": [dict(p) for p in document["protocols"]]}
    main = earlier["protocols"][0]
    main["version"] = main["version"] - 1
    main["themes"] = [t for t in main["themes"] if t not in ("hate_crime", "mental_health")]
    main["signatories"] = main["signatories"][:4]
    year = int(main["effective_from"][:4])
    main["effective_from"] = f"{year - 2}-04-01"
    main["expires_on"] = f"{year + 1}-03-31"
    main["review_by"] = f"{year}-03-31"
    return earlier
