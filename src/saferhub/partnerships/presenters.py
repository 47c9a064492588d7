"""Turning partnership set-up into what the home page shows, so templates hold no logic."""

import datetime
from dataclasses import dataclass

from saferhub.sharing.models import Protocol

# A protocol this close to its review date is flagged, so partners renew it before it lapses.
REVIEW_WARNING_DAYS = 60


@dataclass
class ProtocolInForce:
    protocol: Protocol
    signatories: str
    themes: str
    purposes: str
    review_due: str  # "", "soon" or "overdue"
    review_tag: str


def protocols_in_force_rows(
    protocols: list[Protocol], today: datetime.date
) -> list[ProtocolInForce]:
    rows = []
    for protocol in protocols:
        days_left = (protocol.review_by - today).days
        if days_left < 0:
            due, tag = "overdue", "Review overdue"
        elif days_left <= REVIEW_WARNING_DAYS:
            due, tag = "soon", f"Review in {days_left} days"
        else:
            due, tag = "", ""
        rows.append(
            ProtocolInForce(
                protocol=protocol,
                signatories=", ".join(sorted(s.organisation.name for s in protocol.signings.all())),
                themes=", ".join(sorted(t.name for t in protocol.themes.all())),
                purposes=", ".join(p.capitalize() for p in protocol.purposes),
                review_due=due,
                review_tag=tag,
            )
        )
    return rows
