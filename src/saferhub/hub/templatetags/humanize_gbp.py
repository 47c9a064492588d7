from django import template

register = template.Library()


@register.filter
def gbp(value: int | None) -> str:
    """12345 -> '£12,345'."""
    if value is None or value == "":
        return ""
    return f"£{int(value):,}"
