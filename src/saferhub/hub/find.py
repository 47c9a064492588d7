"""What a person typed into a find-as-you-type field."""

from django.http import HttpRequest


def find_text(request: HttpRequest) -> str:
    """The text typed: `q`, or a form's own find field, which htmx sends under its form name
    (people-0-find, place_find) so that the same field also works without JavaScript."""
    if "q" in request.GET:
        return request.GET["q"]
    return next((v for k, v in request.GET.items() if k.endswith("find")), "")
