"""Forms of the protocol pages: what a manager types, checked field by field.

The rules are the partnership file's (docs/partnership-file.md), worded for a form; the
services check them again for any other caller.
"""

from django import forms
from django.core.validators import RegexValidator

from saferhub.partnerships.models import Partnership
from saferhub.sharing.models import Audience, Level, Protocol, Purpose
from saferhub.sharing.selectors import (
    member_organisations,
    protocol_code_taken,
    themes_for_protocols,
)

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None):
        super().__init__(attrs, format="%Y-%m-%d")


def _date_field(label: str, what: str, *, required: bool = True, help_text: str = ""):
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateInput,
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"Enter {what} as a real date, like 2026-04-01",
        },
    )


class ProtocolForm(forms.Form):
    """The terms of a protocol version: a new protocol's, or a draft's being changed."""

    code = forms.CharField(
        label="Code",
        max_length=60,
        help_text=(
            "A short name for the protocol that stays the same from version to version, "
            "like fife-isp: lower-case letters, digits, hyphens and underscores."
        ),
        validators=[
            RegexValidator(
                CODE_PATTERN,
                "Enter a code of lower-case letters, digits, hyphens and underscores, "
                "starting with a letter or digit, like fife-isp",
            )
        ],
        error_messages={
            "required": "Enter a code for the protocol",
            "max_length": "Enter a code of at most 60 characters",
        },
    )
    title = forms.CharField(
        label="Title",
        max_length=300,
        error_messages={
            "required": "Enter the protocol's title",
            "max_length": "Enter a title of at most 300 characters",
        },
    )
    effective_from = _date_field("Takes effect on", "the date it takes effect")
    expires_on = _date_field(
        "Expires on (optional)",
        "the date it expires",
        required=False,
        help_text="The last day it applies. Leave it empty if the protocol does not expire.",
    )
    review_by = _date_field(
        "Review by",
        "the date it must be reviewed by",
        help_text="The hub warns managers 60 days before.",
    )
    signatories = forms.ModelMultipleChoiceField(
        label="Signatories",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="The member organisations that sign it: at least 2.",
        error_messages={
            "required": "Select at least 2 signatories",
            "invalid_choice": "Select signatories from the partnership's members",
            "invalid_pk_value": "Select signatories from the partnership's members",
        },
    )
    themes = forms.ModelMultipleChoiceField(
        label="Themes",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="A record is shared only when every one of its themes is covered.",
        error_messages={
            "required": "Select at least one theme",
            "invalid_choice": "Select themes from the list",
            "invalid_pk_value": "Select themes from the list",
        },
    )
    level = forms.ChoiceField(
        label="Level",
        choices=[c for c in Level.choices if c[0] != Level.NONE],
        widget=forms.RadioSelect,
        help_text="How much of a record the other signatories see.",
        error_messages={
            "required": "Select the level it shares at",
            "invalid_choice": "Select the level it shares at",
        },
    )
    audience = forms.ChoiceField(
        label="Who sees a record",
        choices=Audience.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select who sees a record",
            "invalid_choice": "Select who sees a record",
        },
    )
    purposes = forms.MultipleChoiceField(
        label="Purposes",
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Tasking covers lists, briefings and meeting packs; referral covers referrals "
            "between partners; analysis covers statistics and evaluation."
        ),
        error_messages={
            "required": "Select at least one purpose",
            "invalid_choice": "Select purposes from the list",
        },
    )
    legal_basis = forms.CharField(
        label="Legal basis",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The lawful basis for sharing, as the partners agreed it.",
        error_messages={"required": "Enter the legal basis for sharing"},
    )
    retention_months = forms.IntegerField(
        label="Retention, in months",
        help_text="How long shared information is kept: from 1 to 1200 months.",
        min_value=1,
        max_value=1200,
        error_messages={
            "required": "Enter how many months shared information is kept",
            "invalid": "Enter the retention as a whole number of months",
            "min_value": "Enter a retention of at least 1 month",
            "max_value": "Enter a retention of at most 1200 months",
        },
    )

    def __init__(self, *args, partnership: Partnership, protocol: Protocol | None = None, **kw):
        if protocol is not None:
            kw.setdefault("initial", _initial(protocol))
        super().__init__(*args, **kw)
        self.partnership = partnership
        if protocol is not None:
            del self.fields["code"]  # the code names every version; a draft keeps it
        self.fields["signatories"].queryset = member_organisations(partnership=partnership)
        self.fields["themes"].queryset = themes_for_protocols(partnership=partnership)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if protocol_code_taken(partnership=self.partnership, code=code):
            raise forms.ValidationError(
                f"The partnership already has a protocol with the code {code}: "
                "to change it, issue a new version from its page"
            )
        return code

    def clean_signatories(self):
        signatories = self.cleaned_data["signatories"]
        if len(signatories) < 2:
            raise forms.ValidationError(
                "Select at least 2 signatories: a protocol is an agreement between partners"
            )
        return list(signatories)

    def clean_themes(self):
        return list(self.cleaned_data["themes"])

    def clean(self):
        cleaned = super().clean()
        effective_from, expires_on = cleaned.get("effective_from"), cleaned.get("expires_on")
        if effective_from and expires_on and expires_on < effective_from:
            self.add_error(
                "expires_on", "The expiry date must be on or after the date it takes effect"
            )
        return cleaned


def _initial(protocol: Protocol) -> dict:
    return {
        "title": protocol.title,
        "effective_from": protocol.effective_from,
        "expires_on": protocol.expires_on,
        "review_by": protocol.review_by,
        "signatories": [s.organisation_id for s in protocol.signings.all()],
        "themes": [t.id for t in protocol.themes.all()],
        "level": protocol.level,
        "audience": protocol.audience,
        "purposes": protocol.purposes,
        "legal_basis": protocol.legal_basis,
        "retention_months": protocol.retention_months,
    }


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label="Reason for suspending",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "It is kept in the audit trail. The protocol shares nothing until it is reinstated."
        ),
        error_messages={
            "required": "Enter the reason for suspending the protocol",
            "max_length": "Enter a reason of at most 2000 characters",
        },
    )


class WhatCanTheySeeForm(forms.Form):
    reader = forms.ModelChoiceField(
        label="Organisation that reads",
        queryset=None,
        to_field_name="code",
        empty_label="Choose an organisation",
        error_messages={
            "required": "Choose the organisation that reads the records",
            "invalid_choice": "Choose the organisation that reads from the partnership's members",
        },
    )
    owner = forms.ModelChoiceField(
        label="Organisation whose records are read",
        queryset=None,
        to_field_name="code",
        empty_label="Choose an organisation",
        error_messages={
            "required": "Choose the organisation whose records are read",
            "invalid_choice": "Choose the organisation whose records are read from the "
            "partnership's members",
        },
    )

    def __init__(self, *args, partnership: Partnership, **kw):
        super().__init__(*args, **kw)
        for name in ("reader", "owner"):
            self.fields[name].queryset = member_organisations(partnership=partnership)
