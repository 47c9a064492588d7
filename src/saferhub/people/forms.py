from django import forms

from saferhub.people.identifiers import chi_number_normalise, chi_number_problem, partial_date


class PersonSearchForm(forms.Form):
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=200,
        help_text="Any part of it: a given or family name, an alias, or the start of one",
    )
    date_of_birth = forms.CharField(
        label="Date of birth",
        required=False,
        max_length=20,
        help_text="For example, 27/3/1984, or 3/1984, or 1984",
    )
    chi = forms.CharField(
        label="CHI number",
        required=False,
        max_length=20,
        help_text="10 digits, starting with the date of birth as DDMMYY",
    )

    def clean_date_of_birth(self):
        text = self.cleaned_data["date_of_birth"].strip()
        if not text:
            return None
        try:
            return partial_date(text, formats=("%d/%m/%Y", "%Y-%m-%d"))
        except ValueError:
            raise forms.ValidationError(
                "Enter the date of birth like 27/3/1984, or just the month (3/1984) or year"
            ) from None

    def clean_chi(self) -> str:
        text = chi_number_normalise(self.cleaned_data["chi"])
        if not text:
            return ""
        problem = chi_number_problem(text)
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:])
        return text

    def asked(self) -> bool:
        """Whether the form holds something to search for."""
        return self.is_bound and any(
            (self.data.get(name) or "").strip() for name in ("name", "date_of_birth", "chi")
        )
