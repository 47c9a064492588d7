"""A partnership's themes and the bits that stand for them in a record's theme mask.

A record keeps its themes as a bit mask: each theme of a partnership has its own bit (the
standard themes the same bits everywhere, a partnership's extra themes the bits after them).
Sharing asks whether a protocol covers every theme of a record, and with masks that is one
arithmetic test on a column, which the database answers row by row without a subquery.
"""

from collections.abc import Iterable

from django.db.models import F, Q
from django.db.models.lookups import Exact

from saferhub.partnerships.models import Partnership, Theme

# The highest bit a theme may use: masks are signed 64-bit integers in both databases.
LAST_BIT = 62


class ThemeBook:
    """The themes one partnership can use, by code and by bit."""

    def __init__(self, themes: Iterable[Theme]):
        self.by_code = {theme.code: theme for theme in themes}
        self.by_bit = {theme.bit: theme for theme in self.by_code.values()}

    @classmethod
    def of(cls, partnership: Partnership | int) -> "ThemeBook":
        pk = partnership.pk if isinstance(partnership, Partnership) else partnership
        return cls(Theme.objects.filter(Q(partnership__isnull=True) | Q(partnership_id=pk)))

    def mask_of(self, codes: Iterable[str]) -> int:
        mask = 0
        for code in codes:
            mask |= 1 << self.by_code[code].bit
        return mask

    def themes_in(self, mask: int) -> list[Theme]:
        return [theme for bit, theme in sorted(self.by_bit.items()) if mask & (1 << bit)]


def mask_of_themes(themes: Iterable[Theme]) -> int:
    mask = 0
    for theme in themes:
        mask |= 1 << theme.bit
    return mask


def has_theme(mask_field: str, bit: int) -> Q:
    """A filter: the record's theme mask includes this bit."""
    return Q(Exact(F(mask_field).bitand(1 << bit), 1 << bit))


def themes_within(mask_field: str, allowed_mask: int) -> Q:
    """A filter: every theme in the record's mask is among the allowed ones."""
    return Q(Exact(F(mask_field).bitor(allowed_mask), allowed_mask))


def books_for(partnership_ids: Iterable[int]) -> dict[int, ThemeBook]:
    """Theme books for several partnerships, in one query."""
    ids = set(partnership_ids)
    themes = list(Theme.objects.filter(Q(partnership__isnull=True) | Q(partnership_id__in=ids)))
    standard = [t for t in themes if t.partnership_id is None]
    return {pk: ThemeBook(standard + [t for t in themes if t.partnership_id == pk]) for pk in ids}
