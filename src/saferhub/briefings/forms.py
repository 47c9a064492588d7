from django import forms

from saferhub.briefings.services import NOTES_MAX
from saferhub.geography.models import IntermediateZone
from saferhub.incidents.forms import _member_choices, _theme_choices
from saferhub.partnerships.models import Partnership

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


def area_choices(partnership: Partnership) -> list[tuple[str, str]]:
    """The intermediate zones of the partnership's council area, by name."""
    zones = IntermediateZone.objects.filter(council_area__name=partnership.local_authority)
    return [("", "All of the partnership")] + [
        (z.code, f"{z.name} ({z.code})" if z.name else z.code) for z in zones.order_by("name")
    ]


class BriefingPickForm(forms.Form):
    date = forms.DateField(
        label="Date",
        help_text="For example, 23/11/2026",
        input_formats=DATE_FORMATS,
        error_messages={
            "required": "Enter the briefing's date",
            "invalid": "Enter the date like 23/11/2026",
        },
    )
    area = forms.ChoiceField(label="Area", required=False)

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = area_choices(partnership)
        self.fields["area"].error_messages["invalid_choice"] = (
            "Choose an area of the partnership from the list"
        )


class NotesForm(forms.Form):
    notes = forms.CharField(
        label="Coordinator's notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Every reader of the briefing sees these. Keep names and addresses out: "
        "readers from other organisations may not be allowed to see them.",
        error_messages={"max_length": f"Keep the notes to {NOTES_MAX:,} characters"},
    )


class TaskForm(forms.Form):
    title = forms.CharField(
        label="What needs to be done",
        max_length=200,
        error_messages={
            "required": "Say what needs to be done",
            "max_length": "Keep the task to 200 characters; put the rest in the detail",
        },
    )
    detail = forms.CharField(
        label="Detail (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee_organisation = forms.ChoiceField(
        label="Given to", error_messages={"required": "Choose the organisation to do it"}
    )
    due_on = forms.DateField(
        label="Due by",
        help_text="For example, 23/11/2026",
        input_formats=DATE_FORMATS,
        error_messages={
            "required": "Enter when it is due",
            "invalid": "Enter the due date like 23/11/2026",
        },
    )
    themes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="Sharing follows the themes: only organisations allowed to see them will.",
        error_messages={"required": "Choose at least one theme"},
    )

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee_organisation"].choices = [
            ("", "Choose an organisation"),
            *_member_choices(partnership),
        ]
        self.fields["themes"].choices = _theme_choices(partnership)
