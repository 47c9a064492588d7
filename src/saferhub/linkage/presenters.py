"""What the linkage pages show, so that templates hold no logic.

The single view is built only from what the selectors let through: each record through the
person or place record presenters at its own level, so a depersonalised record shows its
pseudonym (or data zone) and nothing else.
"""

import datetime
from collections.abc import Callable
from itertools import groupby

from saferhub.incidents.models import Incident
from saferhub.incidents.presenters import incident_rows
from saferhub.linkage.models import EntityEvent, EntityKind, LinkageRun, LinkedBy
from saferhub.linkage.selectors import EntityView, PairView, ThresholdChoice, event_record_ids
from saferhub.people.models import PersonRecord
from saferhub.people.presenters import date_of_birth_label, full_name, person_page
from saferhub.places.models import PropertyType
from saferhub.places.presenters import place_page
from saferhub.sharing.engine import Access
from saferhub.sharing.models import Level

LEVEL_LABELS = {Level.PERSONAL: "In full", Level.DEPERSONALISED: "Depersonalised"}

EVENT_WORDS = {
    EntityEvent.Action.CREATED: "Created",
    EntityEvent.Action.LINKED: "Record linked",
    EntityEvent.Action.UNLINKED: "Record taken out",
    EntityEvent.Action.MERGED: "Merged",
    EntityEvent.Action.UNMERGED: "Merge undone",
}


def percent(probability: float) -> str:
    """A probability as people read it: "97.3%"."""
    return f"{probability * 100:.1f}%"


def _record_page(shown, partnership_code: str, today: datetime.date, zone) -> dict:
    if isinstance(shown.record, PersonRecord):
        return person_page(
            shown.record,
            shown.access,
            shown.incident,
            partnership_code=partnership_code,
            today=today,
        )
    return place_page(shown.record, shown.access, zone)


def entity_page(
    view: EntityView,
    *,
    partnership_code: str,
    today: datetime.date,
    access_of: Callable[[Incident], Access],
    zones: dict,
    with_history: bool,
) -> dict:
    """The single view: records grouped by the organisation holding them, each at its own
    level with its incidents; the history only for those who look after the partnership's
    linking. `zones` holds the data zones of place records by code."""
    records = []
    for shown in view.records:
        page = _record_page(
            shown, partnership_code, today, zones.get(getattr(shown.record, "data_zone", ""))
        )
        records.append(
            {
                "page": page,
                "link_id": shown.link.pk,
                "organisation": shown.record.organisation.name,
                "level": LEVEL_LABELS[shown.access.level],
                "probability": percent(shown.link.match_probability),
                "linked_by": LinkedBy(shown.link.linked_by).label,
                "can_take_out": shown.access.level == Level.PERSONAL and len(view.records) > 1,
                "incidents": incident_rows([(i, access_of(i)) for i in shown.incidents]),
                "incident_count": shown.incident_count,
                "incident_count_exact": shown.incident_count_exact,
            }
        )
    path = "people" if view.kind == EntityKind.PERSON else "places"
    best = next((r for r in records if r["page"]["personal"]), records[0])
    titles = {
        shown.record.pk: page["page"]["title"]
        for shown, page in zip(view.records, records, strict=True)
    }
    return {
        "id": view.entity.pk,
        "kind": view.kind,
        "kind_label": "person" if view.kind == EntityKind.PERSON else "place",
        "merge_url": f"linkage:{path}_merge",
        "unmerge_url": f"linkage:{path}_unmerge",
        "take_out_url": f"linkage:{path}_take_out",
        "title": best["page"]["title"],
        "personal": view.level == Level.PERSONAL,
        "level": LEVEL_LABELS[view.level],
        "groups": [
            {"organisation": organisation, "records": list(group)}
            for organisation, group in groupby(records, key=lambda r: r["organisation"])
        ],
        "history": history_rows(view.history, titles) if with_history else [],
    }


def history_rows(events: list[EntityEvent], titles: dict[int, str]) -> list[dict]:
    """The entity's history, newest first, naming each record by its title as shown."""
    return [
        {
            "at": event.at,
            "action": EVENT_WORDS.get(event.action, event.action),
            # Only the records the reader sees: the others are not even counted.
            "records": ", ".join(
                titles[pk] for pk in sorted(event_record_ids(event)) if pk in titles
            ),
            "by": event.by.name if event.by else "The hub",
        }
        for event in events
    ]


def _person_fields(record) -> list[tuple[str, str]]:
    return [
        ("Name", full_name(record) or "Not recorded"),
        ("Other names", ", ".join(record.other_names) or "None recorded"),
        (
            "Date of birth",
            date_of_birth_label(record.date_of_birth, record.date_of_birth_precision),
        ),
        ("Sex", record.get_sex_display()),
        ("CHI number", record.chi_number or "Not recorded"),
        ("Held by", record.organisation.name),
        ("Their reference", record.source_ref),
    ]


def _place_fields(record) -> list[tuple[str, str]]:
    return [
        ("Address", record.address or "Not recorded"),
        ("Postcode", record.postcode or "Not recorded"),
        ("UPRN", record.uprn or "Not recorded"),
        ("Property", PropertyType(record.property_type).label),
        ("Data zone", record.data_zone or "Not known"),
        ("Held by", record.organisation.name),
        ("Their reference", record.source_ref),
    ]


def _weight(item: dict) -> float:
    for key in ("weight", "match_weight", "bayes_factor_log2"):
        value = item.get(key)
        if isinstance(value, int | float):
            return float(value)
    return 0.0


def evidence_rows(evidence: list) -> list[dict]:
    """Each comparison of a pair with the weight it contributed (log2 of how much more
    likely the agreement is for the same person than for two people), and a bar whose
    length is the weight's share of the largest weight."""
    items = [item for item in evidence if isinstance(item, dict)]
    largest = max((abs(_weight(item)) for item in items), default=0.0) or 1.0
    rows = []
    for item in items:
        weight = _weight(item)
        rows.append(
            {
                "comparison": str(
                    item.get("comparison") or item.get("name") or item.get("column") or "?"
                ),
                "level": str(item.get("level") or item.get("label") or ""),
                "weight": f"{weight:+.2f}",
                "for_match": weight >= 0,
                "bar": round(abs(weight) / largest * 100),
            }
        )
    return rows


def pair_page(view: PairView) -> dict:
    """A pair side by side, field by field, with the evidence and the overall probability."""
    fields = _person_fields if view.pair.kind == EntityKind.PERSON else _place_fields
    left, right = fields(view.left), fields(view.right)
    return {
        "id": view.pair.pk,
        "probability": percent(view.pair.match_probability),
        "match_weight": f"{view.pair.match_weight:+.2f}",
        "fields": [
            {"name": name, "left": a, "right": b, "agree": a == b}
            for (name, a), (_, b) in zip(left, right, strict=True)
        ],
        "evidence": evidence_rows(view.pair.evidence),
    }


def choice_rows(choices: list[ThresholdChoice]) -> list[dict]:
    """The threshold choices as table rows; estimates say so when they cannot be made."""
    return [
        {
            "auto_link": f"{choice.auto_link:.2f}",
            "review": f"{choice.review:.2f}",
            "would_link": choice.would_link,
            "would_review": choice.would_review,
            "would_stay_apart": choice.would_stay_apart,
            "precision": percent(choice.precision)
            if choice.precision is not None
            else "Too few decisions",
            "recall": percent(choice.recall) if choice.recall is not None else "Too few decisions",
            "current": choice.current,
        }
        for choice in choices
    ]


# A queued run not started after this long suggests the background worker is not running.
WAITING_TOO_LONG = datetime.timedelta(minutes=1)
RUN_TAGS = {
    LinkageRun.Status.QUEUED: "ds_tag--grey",
    LinkageRun.Status.RUNNING: "ds_tag--blue",
    LinkageRun.Status.FINISHED: "ds_tag--green",
    LinkageRun.Status.FAILED: "ds_tag--red",
}
OUTCOME_LABELS = [
    ("records", "Records compared"),
    ("entities", "People or places after the run"),
    ("new_entities", "New people or places"),
    ("links_made", "Records linked"),
    ("moved", "Records moved to another person or place"),
    ("merged", "People or places merged"),
    ("pairs_queued", "Pairs queued for review"),
]


def run_progress(run: LinkageRun, now: datetime.datetime) -> dict:
    """What a linking run's page shows: status, the step it is on and the share done, or its
    counts once it has finished."""
    ended = run.status in (LinkageRun.Status.FINISHED, LinkageRun.Status.FAILED)
    percent = round(100 * run.steps_done / run.steps_total) if run.steps_total else 0
    counts = [(label, run.outcome.get(key, 0)) for key, label in OUTCOME_LABELS]
    return {
        "status": run.get_status_display(),
        "status_tag": RUN_TAGS[run.status],
        "ended": ended,
        "polling": not ended,
        "percent": 100 if run.status == LinkageRun.Status.FINISHED else percent,
        "waiting_too_long": run.status == LinkageRun.Status.QUEUED
        and now - run.queued_at > WAITING_TOO_LONG,
        "counts": counts if run.status == LinkageRun.Status.FINISHED else [],
        "seconds": round(run.outcome.get("seconds", 0), 1),
        "trained": run.outcome.get("trained", False),
        "model_version": run.outcome.get("model_version"),
    }
