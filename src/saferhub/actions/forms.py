"""The forms of the action pages."""

from django import forms

from saferhub.incidents.forms import _member_choices
from saferhub.partnerships.models import Partnership


class ActionForm(forms.Form):
    """An action set from a case (the case's themes go with it)."""

    title = forms.CharField(
        label="What needs to be done?",
        max_length=200,
        error_messages={"required": "Say what needs to be done"},
    )
    assignee_organisation = forms.ChoiceField(
        label="Given to",
        error_messages={"required": "Choose the organisation that will do it"},
    )
    assignee_username = forms.CharField(
        label="Person (optional)",
        required=False,
        max_length=150,
        help_text="Their username in the hub; leave blank to give it to the organisation",
    )
    due_on = forms.DateField(
        label="Due date",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text="For example, 27/3/2027",
        error_messages={
            "required": "Enter the due date",
            "invalid": "Enter the due date like 27/3/2027",
        },
    )
    detail = forms.CharField(
        label="Detail (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee_organisation"].choices = [
            ("", "Choose an organisation"),
            *_member_choices(partnership),
        ]


class ActionUpdateForm(forms.Form):
    status = forms.ChoiceField(label="Status", error_messages={"required": "Choose a status"})
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done, or what is happening. Needed when you mark it done.",
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = choices
        self.fields["status"].initial = choices[0][0] if choices else None


class ActionFilterForm(forms.Form):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("open", "Still to do"), ("all", "All, including done and cancelled")],
    )
