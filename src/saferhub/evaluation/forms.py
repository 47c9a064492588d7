"""The register's forms. They check types; saferhub.evaluation.services checks the rest and
names the field at fault."""

from django import forms

from saferhub.evaluation.models import (
    PREVENTION_LEVEL_MEANING,
    ContributionKind,
    Design,
    Granularity,
    IndicatorKind,
    IndicatorSource,
    InitiativeStatus,
    PreventionLevel,
)

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
MAX_UPLOAD_BYTES = 200_000


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text="For example, 1/4/2025",
        error_messages={
            "required": f"Enter the {label.lower()}, like 1/4/2025",
            "invalid": f"Enter the {label.lower()} like 1/4/2025",
        },
    )


def _money(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "invalid": f"Enter the {label.lower()} in pounds, like 12000",
            "min_value": f"The {label.lower()} cannot be less than £0",
        },
    )


def _text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.Textarea(attrs={"rows": 3})
    )


LEVEL_CHOICES = [
    (level.value, f"{level.label}: {PREVENTION_LEVEL_MEANING[level]}") for level in PreventionLevel
]


class InitiativeForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=200, error_messages={"required": "Enter the initiative's title"}
    )
    themes = forms.MultipleChoiceField(
        label="Themes",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one theme"},
    )
    prevention_level = forms.ChoiceField(
        label="Prevention level",
        choices=LEVEL_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose primary, secondary or tertiary prevention"},
    )
    target_group = _text("Target group", "Who the initiative is for")
    data_zones = forms.CharField(
        label="Areas",
        required=False,
        help_text="Data zone codes, like S01009876, separated by spaces or commas; leave empty "
        "for the whole partnership",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    starts_on = _date("Start date")
    ends_on = _date("End date", required=False)
    cost = _money("Cost", "The initiative's total cost in pounds, if known")
    inputs = _text("Inputs", "What goes in: staff, money, equipment")
    activities = _text("Activities", "What is done with them")
    outputs = _text("Outputs", "What the activities produce that you can count: visits made")
    outcomes = _text("Outcomes", "The change you hope for: fewer fires")
    status = forms.ChoiceField(
        label="Status", choices=InitiativeStatus.choices, initial=InitiativeStatus.PLANNED
    )

    def __init__(self, *args, theme_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = theme_choices


class PartnerForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation", choices=[])
    kind = forms.ChoiceField(label="What it contributes", choices=ContributionKind.choices)
    amount = forms.DecimalField(
        label="How much",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Hours or pounds; leave empty for a contribution in kind",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "invalid": "Enter how many hours or pounds as a number",
            "min_value": "The amount cannot be less than 0",
        },
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=500, help_text="For example, 'a fire appliance'"
    )

    def __init__(self, *args, organisation_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisation_choices


KIND_CHOICES = [
    (
        IndicatorKind.OUTPUT.value,
        "Output: something the initiative does or produces, which shows it was delivered "
        "(visits made, pupils reached)",
    ),
    (
        IndicatorKind.OUTCOME.value,
        "Outcome: the change in the world the initiative is meant to bring about (fewer "
        "fires, fewer collisions); only outcomes are evaluated",
    ),
]


class IndicatorForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="What it counts, like 'Accidental dwelling fires'",
        error_messages={"required": "Enter the indicator's name"},
    )
    kind = forms.ChoiceField(
        label="Output or outcome",
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose output or outcome"},
    )
    source = forms.ChoiceField(
        label="Where the figures come from",
        choices=IndicatorSource.choices,
        initial=IndicatorSource.QUERY,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose incidents in the hub or an uploaded series"},
    )
    theme = forms.ChoiceField(label="Theme of the incidents", choices=[], required=False)
    category = forms.CharField(
        label="Category of the incidents",
        required=False,
        max_length=60,
        help_text="Optional: only incidents of this category, like accidental_dwelling_fire",
    )
    data_zones = forms.CharField(
        label="Data zones",
        required=False,
        help_text="Leave empty to count in the initiative's own areas",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    granularity = forms.ChoiceField(
        label="Count by", choices=Granularity.choices, initial=Granularity.MONTH
    )
    period_from = _date("Count from", required=False)
    period_to = _date("Count up to", required=False)
    upload = forms.FileField(
        label="Uploaded series",
        required=False,
        help_text="A CSV file with headings and two columns: the month (2024-03) and the value",
    )

    def __init__(self, *args, theme_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", "Choose a theme"), *theme_choices]
        self.fields[
            "period_from"
        ].help_text = "For example, 1/4/2023; leave empty for two years before the start"
        self.fields["period_to"].help_text = "For example, 31/3/2026; leave empty for today"

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            return ""
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is too big: a series needs only a few rows")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            message = "Save the file as CSV (UTF-8) and choose it again"
            raise forms.ValidationError(message) from None


class ChooseIndicatorForm(forms.Form):
    indicator = forms.ChoiceField(
        label="Which outcome do you want to evaluate?",
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an outcome indicator"},
    )

    def __init__(self, *args, indicator_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = indicator_choices


class DesignForm(forms.Form):
    comparison = forms.MultipleChoiceField(
        label="Comparison areas",
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text="Data zones that did not get the initiative, most alike first",
    )
    more_zones = forms.CharField(
        label="Other comparison areas",
        required=False,
        help_text="Data zone codes, like S01009876, separated by spaces or commas",
    )
    design = forms.ChoiceField(
        label="Design",
        choices=Design.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={
            "invalid_choice": "Choose one of the designs the data allow: a comparison design "
            "needs comparison areas"
        },
    )
    unit_cost = _money(
        "Cost of one incident",
        "What one incident costs society, in pounds (for example from the Home Office's "
        "economic and social costs of crime), for the economic view",
    )

    def __init__(self, *args, candidate_choices, design_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comparison"].choices = candidate_choices
        self.fields["design"].choices = design_choices


class PublishForm(forms.Form):
    emmie_effect = _text("Effect", "What the evaluation found, and how strong the evidence is")
    emmie_mechanism = _text("Mechanism", "How the initiative is meant to work")
    emmie_moderators = _text("Moderators", "Where and for whom it works, or does not")
    emmie_implementation = _text("Implementation", "What it took to put in place, and pitfalls")
    emmie_economic_cost = _text("Economic cost", "What it cost, and what it saved")
