"""Person and place records are seen through the incidents they appear in.

A record held by an organisation has no themes of its own (DESIGN.md section 4): a reader
sees it at the highest level at which they may see any incident it appears in, for the same
purpose, and its owner sees it in full. A record that appears in no incident the reader may
see, and is not theirs, does not exist for them. Person and place selectors build on the two
functions here, so that the rule is written once.
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet

from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import access_of, incidents_at_least, with_details
from saferhub.sharing.engine import NO_ACCESS, OWNER, RANK, Access, Reader, SharedUnder
from saferhub.sharing.models import Level

# Given the incidents a reader may see, the ids of the records (of one kind) that appear in them.
RecordIdsIn = Callable[[QuerySet[Incident]], QuerySet]
# Given incidents, those in which one record appears.
IncidentsWith = Callable[[QuerySet[Incident]], QuerySet[Incident]]


def owner_level(reader: Reader) -> str:
    """How the reader sees their own organisation's records: in full when one of their roles
    shows people, only in counts when all their roles work with figures."""
    if reader.organisation_id is None or not reader.partnerships:
        return Level.NONE
    return Level.PERSONAL if reader.personal_partnerships else Level.AGGREGATE


def held_records_filter(
    reader: Reader, at_least: str, *, organisation_field: str, record_ids_in: RecordIdsIn
) -> Q:
    """Records the reader may see at `at_least` or above, as one database filter: their own
    organisation's, and those appearing in an incident they may see at that level."""
    condition = record_ids_in(incidents_at_least(reader, at_least))
    visible = Q(pk__in=condition)
    if RANK[owner_level(reader)] >= RANK[at_least]:
        visible |= Q(**{organisation_field: reader.organisation_id})
    return visible


def held_record_access(
    reader: Reader, *, organisation_id: int, incidents_with: IncidentsWith
) -> tuple[Access, Incident | None]:
    """The reader's access to one record, and the incident that grants it (None for the
    owner): the highest level among the incidents it appears in, found with at most one
    query per level."""
    if reader.organisation_id == organisation_id and owner_level(reader) == Level.PERSONAL:
        return Access(Level.PERSONAL, SharedUnder(OWNER)), None
    best: tuple[Access, Incident | None] = (NO_ACCESS, None)
    if reader.organisation_id == organisation_id:
        best = (Access(owner_level(reader), SharedUnder(OWNER)), None)
    for level in (Level.PERSONAL, Level.DEPERSONALISED, Level.AGGREGATE):
        if RANK[level] <= best[0].rank:
            break
        found = with_details(
            incidents_with(incidents_at_least(reader, level)).order_by("-occurred_at", "-id")[:1]
        )
        if found:
            return access_of(reader, found[0]), found[0]
    return best
