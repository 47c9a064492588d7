"""What a reader can do next with a record their organisation holds: refer it to a partner,
or open a problem-solving case on it. Referrals and cases start only from the organisation's
own records (the services refuse anyone else's), so the links show only there."""

from saferhub.sharing.engine import Reader


def next_steps_for(reader: Reader, *, kind: str, record_id: int, organisation_id: int) -> dict:
    """The query strings of the referral and case forms for one record (`kind` is "person",
    "place" or "incident"), or {} when the reader's organisation does not hold it or their
    roles do not show people. A case is opened on a person or place, not an incident."""
    if organisation_id != reader.organisation_id or not reader.personal_partnerships:
        return {}
    return {
        "refer_query": f"{kind}={record_id}",
        "case_query": f"{kind}={record_id}" if kind in ("person", "place") else "",
    }
