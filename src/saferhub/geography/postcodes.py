"""UK postcodes: checking the format and writing them one way."""

import re

# Outward code (area, district, optional sub-district) then inward code (sector, unit).
# The inward unit never uses C, I, K, M, O or V.
POSTCODE_PATTERN = re.compile(
    r"^(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?)"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def postcode_normalise(text: str) -> str:
    """The postcode upper case with one space before the inward code: " dd14hn" -> "DD1 4HN".

    Raises ValueError, with a message fit to show a user, if it is not a UK postcode."""
    if not isinstance(text, str):
        raise ValueError("a postcode must be text")
    squeezed = re.sub(r"\s+", "", text).upper()
    match = POSTCODE_PATTERN.match(squeezed)
    if not match:
        raise ValueError(f"{text.strip()!r} is not a UK postcode (expected something like DD1 4HN)")
    return f"{match['outward']} {match['inward']}"
