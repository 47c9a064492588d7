from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponseRedirect
from django.test import RequestFactory

from saferhub.hub.form_pages import errors_on_form, saved_through


class Refused(Exception):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors


class NoteForm(forms.Form):
    note = forms.CharField()
    record = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _request(method: str = "post", data: dict | None = None):
    request = getattr(RequestFactory(), method)("/", data or {})
    request._messages = CookieStorage(request)
    return request


def _home(_) -> HttpResponseRedirect:
    return HttpResponseRedirect("/")


def test_it_puts_errors_on_the_fields_the_page_shows_and_the_rest_at_the_top():
    form = NoteForm({"note": "hello"})
    form.is_valid()

    errors_on_form(form, {"note": "Too short", "record": "Not yours", "reason": "Say why"})

    assert form.errors["note"] == ["Too short"]
    assert form.non_field_errors() == ["Not yours", "Say why"]


def test_it_saves_says_so_and_moves_on():
    request = _request(data={"note": "hello"})
    saved = []

    response = saved_through(
        request,
        NoteForm(request.POST),
        lambda data: saved.append(data["note"]) or 7,
        refused=Refused,
        success=lambda number: f"Note {number} is saved.",
        then=lambda number: HttpResponseRedirect(f"/notes/{number}"),
    )

    assert saved == ["hello"]
    assert response["Location"] == "/notes/7"
    assert [m.message for m in get_messages(request)] == ["Note 7 is saved."]


def test_it_shows_the_services_errors_when_refused():
    request = _request(data={"note": "hello"})
    form = NoteForm(request.POST)

    def refuse(data):
        raise Refused({"note": "Not today"})

    response = saved_through(
        request, form, refuse, refused=(ValueError, Refused), success="Saved.", then=_home
    )

    assert response is None
    assert form.errors["note"] == ["Not today"]
    assert list(get_messages(request)) == []


def test_it_saves_nothing_unless_a_valid_form_is_posted():
    def save(data):
        raise AssertionError("saved")

    get = _request("get")
    invalid = _request(data={"note": ""})

    for request in (get, invalid):
        form = NoteForm(request.POST if request.method == "POST" else None)
        assert saved_through(request, form, save, refused=Refused, success="", then=_home) is None
