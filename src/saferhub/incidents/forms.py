from django import forms
from django.utils import timezone

from saferhub.incidents.vocabulary import Category, PersonRole, Risk, Sex, VulnerabilityFlag
from saferhub.partnerships.models import Membership, Partnership
from saferhub.sharing.services import themes_of_partnership


def _theme_choices(partnership: Partnership) -> list[tuple[str, str]]:
    themes = themes_of_partnership(partnership)
    return sorted(((code, t.name) for code, t in themes.items()), key=lambda c: c[1])


def _member_choices(partnership: Partnership) -> list[tuple[str, str]]:
    members = Membership.objects.filter(partnership=partnership).select_related("organisation")
    return sorted(((m.organisation.code, m.organisation.name) for m in members), key=lambda c: c[1])


class IncidentForm(forms.Form):
    category = forms.ChoiceField(
        choices=[("", "Choose a category"), *Category.choices],
        error_messages={"required": "Choose what happened"},
    )
    themes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose every theme it touches. Sharing follows the themes.",
        error_messages={"required": "Choose at least one theme"},
    )
    occurred_at = forms.DateTimeField(
        label="When it happened",
        help_text="For example, 23/11/2026 21:30",
        input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y"],
        error_messages={
            "required": "Enter when it happened",
            "invalid": "Enter when it happened as a date and time, like 23/11/2026 21:30",
        },
    )
    risk = forms.ChoiceField(
        choices=Risk.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the risk"},
    )
    source_ref = forms.CharField(
        label="Your reference (optional)",
        required=False,
        max_length=100,
        help_text="The number in your own system, such as an occurrence number",
    )
    place_find = forms.CharField(
        label="Find a place your organisation holds",
        required=False,
        max_length=200,
        help_text="Type part of the address or the postcode, then choose it below",
    )
    place_record = forms.IntegerField(label="Place", required=False, min_value=1)
    address = forms.CharField(label="Address (optional)", required=False, max_length=300)
    postcode = forms.CharField(label="Postcode (optional)", required=False, max_length=10)
    data_zone = forms.CharField(
        label="Data zone (optional)",
        required=False,
        max_length=12,
        help_text="For example, S01008372",
    )
    vulnerability_flags = forms.MultipleChoiceField(
        label="Vulnerabilities",
        choices=VulnerabilityFlag.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    narrative = forms.CharField(
        label="What happened", widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    relevant_partners = forms.MultipleChoiceField(
        label="Relevant partners",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Partners who need to know about this incident",
    )
    restricted = forms.BooleanField(
        label="Restricted: only the relevant partners may see it",
        required=False,
    )

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = _theme_choices(partnership)
        self.fields["relevant_partners"].choices = _member_choices(partnership)

    def clean_postcode(self) -> str:
        return " ".join(self.cleaned_data["postcode"].upper().split())


class PersonForm(forms.Form):
    role = forms.ChoiceField(choices=[("", "Not used"), *PersonRole.choices], required=False)
    find = forms.CharField(
        label="Find someone your organisation holds",
        required=False,
        max_length=200,
        help_text="Type a name, then choose them below; or fill in the details to add someone new",
    )
    person_record = forms.IntegerField(label="Person", required=False, min_value=1)
    is_new = forms.BooleanField(
        label="This is someone new, not one of the people listed", required=False
    )
    given_name = forms.CharField(label="Given name", required=False, max_length=100)
    family_name = forms.CharField(label="Family name", required=False, max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text="For example, 27/3/1984",
        error_messages={"invalid": "Enter the date of birth like 27/3/1984"},
    )
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN, required=False)

    def clean(self):
        data = super().clean()
        named = (
            data.get("given_name")
            or data.get("family_name")
            or data.get("date_of_birth")
            or data.get("person_record")
        )
        if named and not data.get("role"):
            self.add_error("role", "Choose how this person was involved")
        born = data.get("date_of_birth")
        if born and born > timezone.localdate():
            self.add_error("date_of_birth", "The date of birth cannot be in the future")
        return data


PersonFormSet = forms.formset_factory(PersonForm, extra=3, max_num=10)


class IncidentFilterForm(forms.Form):
    theme = forms.ChoiceField(required=False)
    category = forms.ChoiceField(choices=[("", "Any"), *Category.choices], required=False)
    occurred_from = forms.DateField(
        label="From",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Enter the from date like 1/11/2026"},
    )
    occurred_to = forms.DateField(
        label="To",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Enter the to date like 30/11/2026"},
    )
    owner = forms.ChoiceField(label="Recorded by", required=False)
    risk = forms.ChoiceField(choices=[("", "Any"), *Risk.choices], required=False)

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", "Any"), *_theme_choices(partnership)]
        self.fields["owner"].choices = [("", "Any"), *_member_choices(partnership)]

    def clean(self):
        data = super().clean()
        start, end = data.get("occurred_from"), data.get("occurred_to")
        if start and end and start > end:
            self.add_error("occurred_to", "The to date must be on or after the from date")
        return data


class EmergencyDisclosureForm(forms.Form):
    reason = forms.CharField(
        label="Why is this an emergency?",
        help_text=(
            "Who is at risk, of what, and why you need the full record now. The data "
            "protection lead of the organisation that recorded it will review this."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=20,
        error_messages={
            "required": "Say why this is an emergency",
            "min_length": "Say why in at least 20 characters: who is at risk, of what, and why now",
        },
    )
