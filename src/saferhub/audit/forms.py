import datetime

from django import forms
from django.utils import timezone

from saferhub.audit.selectors import EventFilters
from saferhub.partnerships.models import Membership, Partnership

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def _member_choices(partnership: Partnership) -> list[tuple[str, str]]:
    members = Membership.objects.filter(partnership=partnership).select_related("organisation")
    choices = sorted(
        ((m.organisation.code, m.organisation.name) for m in members), key=lambda c: c[1]
    )
    return [("", "Any organisation"), *choices]


def _date_field(label: str, what: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text="For example, 31/3/2026",
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"Enter {what} as a real date, like 31/3/2026",
        },
    )


class EventSearchForm(forms.Form):
    actor = forms.CharField(
        label="User name",
        required=False,
        max_length=150,
        help_text="Who did it: their exact user name, such as jo.smith",
    )
    actor_organisation = forms.ChoiceField(label="Their organisation", required=False)
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=40,
        help_text="For example, read, export or emergency_disclosure",
    )
    record_type = forms.CharField(
        label="Record type", required=False, max_length=40, help_text="For example, incident"
    )
    record_id = forms.IntegerField(
        label="Record number",
        required=False,
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the record number as a whole number, like 42",
            "min_value": "Enter the record number as a whole number, like 42",
        },
    )
    owner = forms.ChoiceField(label="Organisation that owns the record", required=False)
    occurred_from = _date_field("From date", "the from date")
    occurred_to = _date_field("To date", "the to date")

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        members = _member_choices(partnership)
        self.fields["actor_organisation"].choices = members
        self.fields["owner"].choices = members

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and end < start:
            self.add_error("occurred_to", "The to date must be the same as or after the from date")
        return data

    def filters(self) -> EventFilters:
        data = self.cleaned_data
        return EventFilters(
            actor_username=data["actor"].strip(),
            actor_organisation=data["actor_organisation"],
            action=data["action"].strip(),
            record_type=data["record_type"].strip(),
            record_id=data["record_id"],
            owner_code=data["owner"],
            occurred_from=data["occurred_from"],
            occurred_to=data["occurred_to"],
        )


class SubjectAccessForm(forms.Form):
    given_name = forms.CharField(
        label="Given name",
        max_length=100,
        error_messages={"required": "Enter the person's given name"},
    )
    family_name = forms.CharField(
        label="Family name",
        max_length=100,
        error_messages={"required": "Enter the person's family name"},
    )
    date_of_birth = _date_field("Date of birth", "the person's date of birth", required=True)

    def clean_date_of_birth(self) -> datetime.date:
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth must be in the past")
        return born
