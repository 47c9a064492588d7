"""The partnership the million-incident benchmarks load into (the incident list and the
briefing): 12 organisations and six protocols of different reach, levels and audiences, as a
real partnership has. Each benchmark loads its own incidents, since each measures a
different spread of them."""

import datetime

from saferhub.partnerships.models import Membership, Organisation, Partnership, Theme
from saferhub.sharing.models import Protocol, Signatory

THEMES = [
    "asb",
    "home_safety",
    "fire_safety",
    "violence",
    "substance_misuse",
    "mental_health",
    "domestic_abuse",
    "road_safety",
]

# (code, signatories by organisation number, themes, level, audience); the first is the core
# protocol most sharing runs under.
PROTOCOLS = [
    ("core", range(0, 6), ["asb", "home_safety", "fire_safety", "violence"], "personal",
     "all_signatories"),
    ("asb", range(0, 12), ["asb"], "depersonalised", "relevant_partners"),
    ("health", [0, 6, 7], ["mental_health", "substance_misuse"], "personal",
     "relevant_partners"),
    ("roads", [0, 1, 8], ["road_safety"], "personal", "all_signatories"),
    ("wide", range(0, 12), ["asb", "violence", "road_safety"], "aggregate",
     "all_signatories"),
    ("da", [0, 9], ["domestic_abuse"], "personal", "relevant_partners"),
]  # fmt: skip


def bench_partnership(
    *, in_force_for_days: int, for_referral: bool = False
) -> tuple[Partnership, list[Organisation], list[Protocol]]:
    """The partnership, its organisations and its protocols (in `PROTOCOLS` order). The
    protocols came into force `in_force_for_days` ago, so they cover every incident loaded."""
    partnership = Partnership.objects.create(
        code="bench",
        name="Bench Partnership",
        local_authority="Bench",
        region="east",
        setting="urban",
    )
    organisations = [
        Organisation.objects.create(code=f"org-{n:02d}", name=f"Organisation {n}", kind="other")
        for n in range(12)
    ]
    Membership.objects.bulk_create(
        Membership(partnership=partnership, organisation=o, involvement="very")
        for o in organisations
    )
    themes = {t.code: t for t in Theme.objects.filter(code__in=THEMES, partnership=None)}
    today = datetime.date.today()
    protocols = []
    for code, members, codes, level, audience in PROTOCOLS:
        protocol = Protocol.objects.create(
            partnership=partnership,
            code=code,
            version=1,
            title=code,
            status="active",
            effective_from=today - datetime.timedelta(days=in_force_for_days),
            review_by=today + datetime.timedelta(days=400),
            level=level,
            audience=audience,
            for_tasking=True,
            for_referral=for_referral,
            for_analysis=True,
            legal_basis="bench",
            retention_months=12,
        )
        protocol.themes.set([themes[c] for c in codes])
        Signatory.objects.bulk_create(
            Signatory(protocol=protocol, organisation=organisations[m]) for m in members
        )
        protocols.append(protocol)
    return partnership, organisations, protocols


def sql_arrays(organisations: list[Organisation]) -> tuple[str, str]:
    """The organisations' ids and the themes' bits, as the loaders' SQL spreads incidents
    over them (`ARRAY[{owners}]`, `ARRAY[{bits}]`)."""
    owners = ",".join(str(o.pk) for o in organisations)
    bits = ",".join(
        str(t.bit) for t in Theme.objects.filter(code__in=THEMES, partnership=None).order_by("code")
    )
    return owners, bits


def add_relevant_partners(cursor, partnership: Partnership, owners: str) -> None:
    """A relevant partner on every fifth incident."""
    cursor.execute(
        f"""
        INSERT INTO incidents_relevantpartner (incident_id, organisation_id)
        SELECT id, (ARRAY[{owners}])[1 + (id * 13) %% 12] FROM incidents_incident
        WHERE partnership_id = %s AND id %% 5 = 0
        """,
        [partnership.pk],
    )
