"""The steps every page that saves a form through a service takes.

Services check what they are given and raise their app's `...Invalid` with an `errors` dict
keyed by the input's field names. A page shows those errors on its form, or says it is saved
and moves on; these two helpers keep that the same on every page.
"""

from collections.abc import Callable, Mapping
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

Saved = TypeVar("Saved")


def errors_on_form(form: forms.BaseForm, errors: Mapping[str, str]) -> None:
    """Put a service's errors on the form's fields. An error about something the page does
    not show (a name the form lacks, or a hidden input such as the record a referral is
    about) goes at the top, or no one would see it."""
    for name, message in errors.items():
        field = form.fields.get(name)
        shown = field is not None and not field.widget.is_hidden
        form.add_error(name if shown else None, message)


def saved_through(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[dict], Saved],
    *,
    refused: type[Exception] | tuple[type[Exception], ...],
    success: str | Callable[[Saved], str],
    then: Callable[[Saved], HttpResponse],
) -> HttpResponse | None:
    """Save a posted, valid form with `save(form.cleaned_data)`, then say `success` and
    answer `then(what_save_returned)`. None means the page should show the form again:
    nothing was posted, the form is not valid, or the service refused (its errors are now on
    the form). The caller renders that page, so each keeps its own template and status."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save(form.cleaned_data)
    except refused as exc:
        errors_on_form(form, exc.errors)
        return None
    messages.success(request, success if isinstance(success, str) else success(saved))
    return then(saved)
