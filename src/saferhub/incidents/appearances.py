"""Person and place records are seen through the incidents, referrals and cases they appear in.

A record held by an organisation has no themes of its own (DESIGN.md section 4): a reader
sees it at the highest level at which they may see any incident, referral or case it appears
in, for the same purpose, and its owner sees it in full. (A record appears in a referral or a
case as what it is about.) A record that appears in nothing the reader may see, and is not
theirs, does not exist for them. Person and place selectors build on the two functions here,
so that the rule is written once.
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet

from saferhub.cases.models import Case
from saferhub.cases.selectors import case_access, cases_at_least
from saferhub.incidents.models import Incident
from saferhub.incidents.selectors import access_of, incidents_at_least, with_details
from saferhub.referrals.models import Referral
from saferhub.referrals.selectors import referral_access, referrals_at_least
from saferhub.sharing.engine import NO_ACCESS, OWNER, RANK, Access, Reader, SharedUnder
from saferhub.sharing.models import Level

# Given the incidents a reader may see, the ids of the records (of one kind) that appear in them.
RecordIdsIn = Callable[[QuerySet[Incident]], QuerySet]
# Given incidents, those in which one record appears.
IncidentsWith = Callable[[QuerySet[Incident]], QuerySet[Incident]]
# What grants a reader sight of a record they do not hold (None for its owner).
Appearance = Incident | Referral | Case

# The records a person or place record can be the subject of, each with what lists them at a
# level, how one is decided, and its newest-first order.
SUBJECT_OF = (
    (referrals_at_least, referral_access, ("-sent_at", "-id")),
    (cases_at_least, case_access, ("-opened_at", "-id")),
)


def owner_level(reader: Reader) -> str:
    """How the reader sees their own organisation's records: in full when one of their roles
    shows people, only in counts when all their roles work with figures."""
    if reader.organisation_id is None or not reader.partnerships:
        return Level.NONE
    return Level.PERSONAL if reader.personal_partnerships else Level.AGGREGATE


def held_records_filter(
    reader: Reader,
    at_least: str,
    *,
    organisation_field: str,
    record_ids_in: RecordIdsIn,
    subject_field: str,
) -> Q:
    """Records the reader may see at `at_least` or above, as one database filter: their own
    organisation's, and those appearing in an incident they may see at that level, or that a
    referral or case they may see at that level is about (`subject_field`: "person_record"
    or "place_record")."""
    visible = Q(pk__in=record_ids_in(incidents_at_least(reader, at_least)))
    for records_at_least, _, _ in SUBJECT_OF:
        about = records_at_least(reader, at_least).filter(**{f"{subject_field}__isnull": False})
        visible |= Q(pk__in=about.values(f"{subject_field}_id"))
    if RANK[owner_level(reader)] >= RANK[at_least]:
        visible |= Q(**{organisation_field: reader.organisation_id})
    return visible


def held_record_access(
    reader: Reader,
    *,
    organisation_id: int,
    incidents_with: IncidentsWith,
    subject_field: str,
    record_id: int,
) -> tuple[Access, Appearance | None]:
    """The reader's access to one record, and what grants it (None for the owner): the
    highest level among the incidents it appears in and the referrals and cases about it,
    found with at most three queries per level."""
    if reader.organisation_id == organisation_id and owner_level(reader) == Level.PERSONAL:
        return Access(Level.PERSONAL, SharedUnder(OWNER)), None
    best: tuple[Access, Appearance | None] = (NO_ACCESS, None)
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
        for records_at_least, access_to, newest_first in SUBJECT_OF:
            about = (
                records_at_least(reader, level)
                .filter(**{subject_field: record_id})
                .select_related("partnership")
                .prefetch_related("relevant_partners")
                .order_by(*newest_first)
                .first()
            )
            if about is not None:
                return access_to(reader, about), about
    return best
