from django import forms

from saferhub.places.addresses import uprn_problem
from saferhub.places.selectors import postcode_matches


class PlaceSearchForm(forms.Form):
    address = forms.CharField(
        label="Address",
        required=False,
        max_length=300,
        help_text="Any words of it, for example 12 High Street",
    )
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        max_length=10,
        help_text="A full postcode, or its start down to the sector, like KY1 1",
    )
    uprn = forms.CharField(
        label="UPRN",
        required=False,
        max_length=14,
        help_text="The Unique Property Reference Number, up to 12 digits",
    )

    def clean_postcode(self) -> str:
        text = self.cleaned_data["postcode"].strip()
        if text:
            try:
                postcode_matches(text)
            except ValueError:
                raise forms.ValidationError(
                    "Enter a postcode like KY1 1AA, or its start like KY1 1"
                ) from None
        return text

    def clean_uprn(self) -> str:
        text = self.cleaned_data["uprn"].strip()
        if text and uprn_problem(text):
            raise forms.ValidationError("Enter the UPRN as a number of up to 12 digits")
        return text

    def asked(self) -> bool:
        """Whether the form holds something to search for."""
        return self.is_bound and any(
            (self.data.get(name) or "").strip() for name in ("address", "postcode", "uprn")
        )
