"""The forms of the case pages. They check the shape of what was typed; the services check
everything else and name the field that is wrong."""

from django import forms
from django.utils import timezone

from saferhub.cases.models import CaseSubject, ClosureOutcome, Rag
from saferhub.cases.services import OPEN_STAGES
from saferhub.incidents.forms import _member_choices, _theme_choices
from saferhub.partnerships.models import Partnership

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
SCORES = [(str(n), str(n)) for n in range(1, 6)]


def _date(label: str, *, required: bool = True, help_text: str = "For example, 27/3/2027"):
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text=help_text,
        error_messages={
            "required": f"Enter the {label.lower().removesuffix(' (optional)')}",
            "invalid": f"Enter the {label.lower().removesuffix(' (optional)')} like 27/3/2027",
        },
    )


class CaseForm(forms.Form):
    title = forms.CharField(
        label="What is the problem?",
        max_length=200,
        help_text="A short title your organisation will recognise",
        error_messages={"required": "Say what the problem is"},
    )
    subject = forms.ChoiceField(
        label="Who or what is the case about?",
        choices=CaseSubject.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who or what the case is about"},
    )
    person_record = forms.IntegerField(
        label="Person record number (for a person)",
        required=False,
        min_value=1,
        help_text="Open a case from the person's page to fill this in",
    )
    place_record = forms.IntegerField(
        label="Place record number (for a place)",
        required=False,
        min_value=1,
        help_text="Open a case from the place's page to fill this in",
    )
    group_description = forms.CharField(
        label="Describe the group (for a group)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    themes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose every theme the case touches. Sharing follows the themes.",
        error_messages={"required": "Choose at least one theme"},
    )
    data_zone = forms.CharField(
        label="Data zone (optional)",
        required=False,
        max_length=12,
        help_text="Where the problem is, for example S01009876",
    )
    relevant_partners = forms.MultipleChoiceField(
        label="Relevant partners",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Partners who need to know about this case",
    )
    restricted = forms.BooleanField(
        label="Restricted: only the relevant partners may see it", required=False
    )
    next_review_on = _date("First review date (optional)", required=False)

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = _theme_choices(partnership)
        self.fields["relevant_partners"].choices = _member_choices(partnership)


class CaseFilterForm(forms.Form):
    stage = forms.ChoiceField(
        required=False,
        choices=[("", "Any stage"), ("open", "Any open stage")]
        + [(s.value, s.label) for s in OPEN_STAGES]
        + [("closed", "Closed")],
    )
    rag = forms.ChoiceField(label="Risk", required=False, choices=[("", "Any risk"), *Rag.choices])
    owner = forms.ChoiceField(label="Led by", required=False)
    mine = forms.BooleanField(label="Only cases I opened or lead", required=False)

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Any organisation"), *_member_choices(partnership)]


class LinkIncidentForm(forms.Form):
    incident = forms.IntegerField(
        label="Incident number",
        min_value=1,
        help_text="The number shown on the incident's page",
        error_messages={
            "required": "Enter the incident number",
            "invalid": "Enter the incident number as a whole number",
            "min_value": "Enter the incident number as a whole number",
        },
    )


class RiskForm(forms.Form):
    likelihood = forms.TypedChoiceField(
        label="Likelihood",
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost certain",
        error_messages={"required": "Choose the likelihood from 1 to 5"},
    )
    impact = forms.TypedChoiceField(
        label="Impact",
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="1 minimal, 2 minor, 3 moderate, 4 major, 5 severe",
        error_messages={"required": "Choose the impact from 1 to 5"},
    )
    rationale = forms.CharField(
        label="Why this rating?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why you rate the risk this way"},
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(
        label="Stage",
        choices=[(s.value, s.label) for s in OPEN_STAGES],
        error_messages={"required": "Choose a stage"},
    )
    notes = forms.CharField(
        label="Notes for this stage",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you found, decided or plan at this stage",
    )


class ReviewForm(forms.Form):
    notes = forms.CharField(
        label="What did the review find?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the review found"},
    )
    next_review_on = _date("Next review date")

    def clean_next_review_on(self):
        value = self.cleaned_data["next_review_on"]
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError("The next review must be after today")
        return value


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=ClosureOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome"},
    )
    notes = forms.CharField(
        label="What was achieved?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what was achieved"},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why reopen the case?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the case is reopened"},
    )
