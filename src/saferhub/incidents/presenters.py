"""What incident pages show, so that templates hold no logic."""

import csv
from dataclasses import dataclass

from saferhub.incidents.models import Incident
from saferhub.incidents.vocabulary import Category, PersonRole, Risk, Sex, VulnerabilityFlag
from saferhub.sharing.engine import Access
from saferhub.sharing.models import Level

RISK_TAG = {"red": "ds_tag--red", "amber": "ds_tag--orange", "green": "ds_tag--green"}


@dataclass
class IncidentRow:
    id: int
    occurred_at: object
    category: str
    themes: str
    owner: str
    risk: str
    risk_tag: str
    level: str
    personal: bool


def incident_rows(pairs: list[tuple[Incident, Access]]) -> list[IncidentRow]:
    return [
        IncidentRow(
            id=incident.pk,
            occurred_at=incident.occurred_at,
            category=Category(incident.category).label,
            themes=", ".join(sorted(t.name for t in incident.theme_list())),
            owner=incident.owner.name,
            risk=Risk(incident.risk).label,
            risk_tag=RISK_TAG[incident.risk],
            level="Personal" if access.level == Level.PERSONAL else "Depersonalised",
            personal=access.level == Level.PERSONAL,
        )
        for incident, access in pairs
    ]


def why_shown(access: Access) -> str:
    """The 'Why can I see this?' answer: the rule or protocol, and what the level means."""
    reason = access.shared_under.in_words() if access.shared_under else ""
    if access.level == Level.DEPERSONALISED:
        reason += (
            " At the depersonalised level you see people as a pseudonym, age band and sex, "
            "the place as its data zone, and no narrative."
        )
    return reason


def incident_page(seen: dict, theme_names: dict[str, str], organisation_names: dict[str, str]):
    """The incident as seen (sharing.redaction.incident_as_seen) with words for its codes."""
    roles, sexes, flags = (
        dict(PersonRole.choices),
        dict(Sex.choices),
        dict(VulnerabilityFlag.choices),
    )
    return {
        **seen,
        "category_label": Category(seen["category"]).label,
        "risk_label": Risk(seen["risk"]).label,
        "risk_tag": RISK_TAG[seen["risk"]],
        "theme_names": ", ".join(theme_names.get(code, code) for code in seen["themes"]),
        "owner_name": organisation_names.get(seen["owner"], seen["owner"]),
        "relevant_partner_names": ", ".join(
            organisation_names.get(code, code) for code in seen["relevant_partners"]
        ),
        "flag_names": ", ".join(flags.get(f, f) for f in seen["vulnerability_flags"]),
        "people": [
            {**p, "role_label": roles.get(p["role"], p["role"]), "sex_label": sexes.get(p["sex"])}
            for p in seen["people"]
        ],
        "personal": seen["access_level"] == Level.PERSONAL,
    }


CSV_COLUMNS = [
    "id",
    "partnership",
    "owner",
    "access_level",
    "shared_under",
    "category",
    "themes",
    "occurred_at",
    "reported_at",
    "risk",
    "restricted",
    "relevant_partners",
    "vulnerability_flags",
    "data_zone",
    "address",
    "postcode",
    "source_ref",
    "people",
    "narrative",
]


def write_incidents_csv(out, incidents: list[dict]) -> None:
    """Incidents as seen (sharing.redaction.incident_as_seen) as CSV rows: what a level hides
    is empty, never filled in."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for seen in incidents:
        place = seen["place"] or {}
        shared = seen["shared_under"]
        people = "; ".join(
            " ".join(
                part
                for part in (
                    p["role"],
                    p.get("given_name") or "",
                    p.get("family_name") or "",
                    p.get("date_of_birth") or "",
                    p["pseudonym"],
                    p["age_band"],
                    p["sex"],
                )
                if part
            )
            for p in seen["people"]
        )
        writer.writerow(
            [
                seen["id"],
                seen["partnership"],
                seen["owner"],
                seen["access_level"],
                f"{shared['protocol']} v{shared['version']}"
                if isinstance(shared, dict)
                else shared,
                seen["category"],
                " ".join(seen["themes"]),
                seen["occurred_at"],
                seen["reported_at"],
                seen["risk"],
                seen["restricted"],
                " ".join(seen["relevant_partners"]),
                " ".join(seen["vulnerability_flags"]),
                place.get("data_zone", ""),
                place.get("address", ""),
                place.get("postcode", ""),
                seen.get("source_ref") or "",
                people,
                seen.get("narrative", ""),
            ]
        )
