from django import forms


class ThresholdsForm(forms.Form):
    """A partnership's two thresholds for one kind; services.thresholds_update checks them
    against each other and names the field at fault."""

    auto_link = forms.FloatField(
        label="Link by itself at or above",
        help_text="A probability between 0 and 1, like 0.95",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "required": "Enter the auto-link threshold, like 0.95",
            "invalid": "Enter the auto-link threshold as a number between 0 and 1, like 0.95",
        },
    )
    review = forms.FloatField(
        label="Ask a reviewer at or above",
        help_text="A probability between 0 and 1, no higher than the one above, like 0.6",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "required": "Enter the review threshold, like 0.6",
            "invalid": "Enter the review threshold as a number between 0 and 1, like 0.6",
        },
    )


class MergeForm(forms.Form):
    other = forms.IntegerField(
        label="Number of the other linked record to merge into this one",
        help_text="The number at the end of its page's address, like 1234",
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter the number of the other linked record",
            "invalid": "Enter the number of the other linked record, like 1234",
            "min_value": "Enter the number of the other linked record, like 1234",
        },
    )
