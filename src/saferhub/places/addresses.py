"""Checking and normalising addresses: UPRNs and the folded address used for search."""

import re
import unicodedata

_UPRN = re.compile(r"^\d{1,12}$")


def uprn_problem(text: str) -> str | None:
    """Why `text` is not a UPRN (None when it is): a UPRN is a whole number of up to 12 digits."""
    return None if _UPRN.match(text.strip()) else "a UPRN is a number of up to 12 digits"


def address_key(*parts: str) -> str:
    """The address folded for search: lower case, no accents, punctuation squeezed to single
    spaces ("12, High St." and "12 high st" give the same key)."""
    text = " ".join(part for part in parts if part)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())
