"""Stable pseudonyms for people shown at the depersonalised level, and subject keys.

A subject key is a keyed HMAC of a person's normalised name and date of birth within a
partnership: the same person recorded by two partners gets the same key, and without the
server's key (SAFERHUB_PSEUDONYM_KEY) it cannot be turned back into the name. The pseudonym a
user sees is a short, readable form of the same key.
"""

import base64
import datetime
import hashlib
import hmac
import unicodedata

from django.conf import settings


def name_key(name: str) -> str:
    """A name folded for comparison: no accents, case, spaces or punctuation
    ("O'Brien-Smith" and "obrien smith" give the same key). Subject keys, the search and the
    "already known" warning all fold names this way."""
    # Accents, case, spaces and punctuation are how the same name differs between systems.
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def subject_key(
    *,
    partnership_code: str,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date | None,
) -> str:
    """The hex HMAC-SHA256 that stands for this person in this partnership."""
    message = "|".join(
        [
            partnership_code,
            name_key(given_name),
            name_key(family_name),
            date_of_birth.isoformat() if date_of_birth else "",
        ]
    )
    return hmac.new(settings.PSEUDONYM_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def pseudonym(key: str) -> str:
    """'Person 7KQ2-MD4X': readable, stable, and the same for the same subject key."""
    code = base64.b32encode(bytes.fromhex(key)[:5]).decode()
    return f"Person {code[:4]}-{code[4:8]}"


AGE_BANDS = [
    (0, "0-15"),
    (16, "16-17"),
    (18, "18-24"),
    (25, "25-34"),
    (35, "35-44"),
    (45, "45-54"),
    (55, "55-64"),
    (65, "65-74"),
    (75, "75 and over"),
]


def age_band(date_of_birth: datetime.date | None, on: datetime.date) -> str:
    """The band a person's age fell in on the day: enough to understand, too coarse to identify."""
    if date_of_birth is None:
        return "unknown"
    age = (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )
    if age < 0:
        return "unknown"
    band = AGE_BANDS[0][1]
    for start, label in AGE_BANDS:
        if age >= start:
            band = label
    return band
