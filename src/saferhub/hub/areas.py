"""The areas of a partnership's workspace, in the order of the side navigation."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    slug: str
    title: str
    summary: str
    # The URL name of the area's own page (every area but the admin site has one).
    url_name: str = ""
    # Every page of this URL namespace belongs to the area (a protocol's page, say).
    namespace: str = ""
    # Shown only to holders of one of these roles (everyone when empty).
    for_roles: frozenset[str] = frozenset()


AREAS = [
    Area("home", "Home", "The partnership at a glance.", url_name="partnerships:home"),
    Area(
        "briefing",
        "Briefing",
        "The daily briefing on the last 24 hours: incidents by theme and area, repeat "
        "locations and people, new and overdue referrals, and the day's tasks.",
        url_name="briefings:today",
        namespace="briefings",
    ),
    Area(
        "incidents",
        "Incidents",
        "Concerns and incidents recorded by partners, each shared under the protocols "
        "your organisation signed.",
        url_name="incidents:list",
        namespace="incidents",
    ),
    Area(
        "people",
        "People",
        "The people partners hold records about, linked across organisations.",
        url_name="people:search",
        namespace="people",
    ),
    Area(
        "places",
        "Places",
        "Addresses and locations, each resolved to its data zone and deprivation rank.",
        url_name="places:search",
        namespace="places",
    ),
    Area(
        "referrals",
        "Referrals",
        "Referrals between partners, such as a home fire safety visit or victim support, "
        "with the lawful basis for each.",
        url_name="referrals:list",
        namespace="referrals",
    ),
    Area(
        "cases",
        "Cases",
        "Problem-solving cases worked through scanning, analysis, response and assessment.",
        url_name="cases:list",
        namespace="cases",
    ),
    Area(
        "actions",
        "Actions",
        "Actions given to you and your organisation, from cases, briefings and meetings; "
        "overdue ones first.",
        url_name="actions:mine",
        namespace="actions",
    ),
    Area(
        "meetings",
        "Meetings",
        "The weekly multi-agency tasking and coordinating (MATAC) meeting: agenda, "
        "decisions and actions.",
        url_name="meetings:list",
        namespace="meetings",
    ),
    Area(
        "analysis",
        "Analysis",
        "Trends, repeat victimisation, hotspots and deprivation, from data you may see.",
        url_name="analysis:index",
        namespace="analysis",
        for_roles=frozenset({"analyst", "coordinator", "manager"}),
    ),
    Area(
        "initiatives",
        "Initiatives",
        "Prevention initiatives and whether they worked, with the strength of the evidence.",
        url_name="evaluation:register",
        namespace="evaluation",
    ),
    Area(
        "linkage",
        "Linking records",
        "Decide whether records that may be the same person or place are, and set how sure "
        "the hub must be before it links them by itself.",
        url_name="linkage:review_people",
        namespace="linkage",
        for_roles=frozenset({"coordinator", "analyst"}),
    ),
    Area(
        "imports",
        "Imports",
        "Bring records from your organisation's own system into the hub from an export file, "
        "and see what each import added, updated and rejected.",
        url_name="imports:runs",
        namespace="imports",
        for_roles=frozenset({"coordinator", "analyst", "admin"}),
    ),
    Area(
        "protocols",
        "Protocols",
        "The Information Sharing Protocols in force, who signed them and what they allow.",
        url_name="sharing:protocols",
        namespace="sharing",
    ),
    Area(
        "audit",
        "Audit",
        "Who saw what, when and why; disclosure histories for subject access requests.",
        url_name="audit:search",
        namespace="audit",
        for_roles=frozenset({"auditor", "data_protection_lead"}),
    ),
    Area("admin", "Admin", "Django's administration site.", for_roles=frozenset({"admin"})),
]
