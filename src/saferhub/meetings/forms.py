"""The meeting pages' forms: they check the shape of what was typed; the services check the
rest and name the field, so a page and the command line refuse the same things."""

from django import forms

from saferhub.meetings.models import Attendance

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
DATETIME_FORMATS = ["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]


class MeetingForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        initial="MATAC meeting",
        error_messages={"required": "Give the meeting a title"},
    )
    starts_at = forms.DateTimeField(
        label="When it starts",
        help_text="For example, 8/12/2026 10:00",
        input_formats=DATETIME_FORMATS,
        error_messages={
            "required": "Say when the meeting starts",
            "invalid": "Enter the start like 8/12/2026 10:00",
        },
    )
    location = forms.CharField(max_length=200, required=False, label="Where")
    period_from = forms.DateField(
        label="Look back from",
        required=False,
        input_formats=DATE_FORMATS,
        help_text="The proposed agenda looks at this period. Leave blank for since the last "
        "meeting.",
        error_messages={"invalid": "Enter the date like 1/12/2026"},
    )
    period_to = forms.DateField(
        label="Look back to",
        required=False,
        input_formats=DATE_FORMATS,
        help_text="Leave blank for the day before the meeting.",
        error_messages={"invalid": "Enter the date like 7/12/2026"},
    )
    invited_organisations = forms.MultipleChoiceField(
        label="Organisations invited",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Invite at least one organisation"},
    )
    invited_people = forms.MultipleChoiceField(
        label="People invited by name",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, organisations, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invited_organisations"].choices = organisations
        self.fields["invited_people"].choices = people


class ItemForm(forms.Form):
    title = forms.CharField(
        label="Heading", max_length=200, error_messages={"required": "Give the item a heading"}
    )
    summary = forms.CharField(
        label="What the meeting needs to know",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Every organisation the item goes to reads this: name no one.",
    )
    audience = forms.MultipleChoiceField(
        label="Only for these organisations",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked to send the item to every invited organisation.",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = organisations


class AttendanceForm(forms.Form):
    organisation = forms.ChoiceField(error_messages={"required": "Choose the organisation"})
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Give the person's name"}
    )
    present = forms.ChoiceField(
        label="Attendance", choices=Attendance.Present.choices, initial="present"
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "Choose an organisation"), *organisations]


class DiscussionForm(forms.Form):
    discussion = forms.CharField(
        label="Discussion", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    decision = forms.CharField(
        label="Decision", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if not (data.get("discussion", "").strip() or data.get("decision", "").strip()):
            self.add_error("discussion", "Write what was discussed or decided")
        return data


class ActionForm(forms.Form):
    title = forms.CharField(
        label="What needs to be done",
        max_length=200,
        error_messages={"required": "Say what needs to be done"},
    )
    assignee_organisation = forms.ChoiceField(
        label="Given to", error_messages={"required": "Choose who will do it"}
    )
    due_on = forms.DateField(
        label="Due by",
        help_text="For example, 15/12/2026",
        input_formats=DATE_FORMATS,
        error_messages={
            "required": "Say when it is due",
            "invalid": "Enter the date like 15/12/2026",
        },
    )
    themes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="Sharing follows the themes.",
        error_messages={"required": "Choose at least one theme"},
    )

    def __init__(self, *args, organisations, themes, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose an organisation"), *organisations]
        self.fields["assignee_organisation"].choices = choices
        self.fields["themes"].choices = themes


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label="Minutes",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Every invited organisation reads the minutes: name no one. Write what was "
        "said about a person in that item's discussion.",
        error_messages={"required": "Write the minutes"},
    )
