import datetime

from django import template

register = template.Library()


@register.filter
def gbp(value: int | None) -> str:
    """12345 -> '£12,345'."""
    if value is None or value == "":
        return ""
    return f"£{int(value):,}"


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    """A wait in words: '15 minutes', '1 hour', '1 hour 30 minutes'."""
    if not value:
        return "a while"
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
