"""The referral form and the forms of each step of working a referral.

Forms check types and say what is missing; the rules (who may refer to whom, on which
lawful basis) are the services' to decide, and their errors are put back on these fields.
"""

from django import forms
from django.utils import timezone

from saferhub.partnerships.models import Membership, Partnership, User
from saferhub.referrals.models import (
    ConsentGivenHow,
    ContactOutcome,
    LawfulBasis,
    ReferralStatus,
    ReferralType,
    Urgency,
)
from saferhub.referrals.services import due_hours_by_urgency, hours_in_words
from saferhub.sharing.models import Protocol
from saferhub.sharing.services import themes_of_partnership

DATE_TIME_FORMATS = ["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y"]


class ReferralForm(forms.Form):
    recipient = forms.ChoiceField(
        label="Refer to",
        error_messages={"required": "Choose the organisation to refer to"},
    )
    referral_type = forms.ChoiceField(
        label="Type of referral",
        error_messages={"required": "Choose the type of referral"},
    )
    themes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose every theme it touches. Which protocols can carry it follows the themes.",
        error_messages={"required": "Choose at least one theme"},
    )
    urgency = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how urgent it is"},
    )
    reason = forms.CharField(
        label="Why are you referring?",
        help_text="What you know, what you are worried about, and what you are asking them to do",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": "Say why you are referring"},
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis for sharing",
        choices=LawfulBasis.choices,
        widget=forms.RadioSelect,
        help_text="A referral shares the person's details, so it needs one of these.",
        error_messages={"required": "Choose the lawful basis for sharing"},
    )
    protocol = forms.ChoiceField(
        label="Protocol (if you chose a protocol)",
        required=False,
        help_text="Leave this to let the hub pick the protocol that covers the referral",
    )
    consent_given_by = forms.CharField(
        label="Who gave consent (if you chose consent)",
        required=False,
        max_length=200,
        help_text="The person, or who gave it for them and in what capacity",
    )
    consent_given_at = forms.DateTimeField(
        label="When consent was given",
        required=False,
        input_formats=DATE_TIME_FORMATS,
        help_text="For example, 23/11/2026 14:30",
        error_messages={"invalid": "Enter when consent was given like 23/11/2026 14:30"},
    )
    consent_given_how = forms.ChoiceField(
        label="How consent was given",
        required=False,
        choices=[("", "Choose how"), *ConsentGivenHow.choices],
    )
    consent_capacity_note = forms.CharField(
        label="Capacity to consent",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Whether the person understood what they agreed to, and how you judged it",
    )
    vital_interests_reason = forms.CharField(
        label="Who is at risk of serious harm, and why (if you chose vital interests)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    person_record = forms.IntegerField(required=False, widget=forms.HiddenInput)
    place_record = forms.IntegerField(required=False, widget=forms.HiddenInput)
    incident = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, partnership: Partnership, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(partnership=partnership).select_related("organisation")
        others = sorted(
            (
                (m.organisation.code, m.organisation.name)
                for m in members
                if m.organisation_id != user.organisation_id
            ),
            key=lambda c: c[1],
        )
        self.fields["recipient"].choices = [("", "Choose an organisation"), *others]
        self.fields["referral_type"].choices = [("", "Choose a type")] + [
            (t.code, t.name)
            for t in ReferralType.objects.filter(partnership=partnership, active=True)
        ]
        themes = themes_of_partnership(partnership)
        self.fields["themes"].choices = sorted(
            ((code, t.name) for code, t in themes.items()), key=lambda c: c[1]
        )
        hours = due_hours_by_urgency(partnership)
        self.fields["urgency"].choices = [
            (u.value, f"{u.label}: within {hours_in_words(hours[u.value])}") for u in Urgency
        ]
        today = timezone.localdate()
        protocols = (
            Protocol.objects.active_on(today)
            .filter(partnership=partnership, for_referral=True)
            .order_by("code")
        )
        self.fields["protocol"].choices = [("", "The protocol that covers it")] + [
            (p.code, f"{p.title} ({p.code})") for p in protocols
        ]
        self.fields["consent_given_how"].widget.attrs = {}


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), *ReferralStatus.choices], label="Status"
    )
    overdue = forms.BooleanField(required=False, label="Only overdue referrals")


class AcceptForm(forms.Form):
    """Accepting asks nothing more; the form carries the service's refusal, if any."""


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why are you declining it?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Say why you are declining the referral"},
    )


class AssignForm(forms.Form):
    assign_to = forms.ChoiceField(
        label="Assign to", error_messages={"required": "Choose who will work it"}
    )

    def __init__(self, *args, staff: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].choices = [("", "Choose someone")] + [
            (str(u.pk), str(u)) for u in staff
        ]


class ContactForm(forms.Form):
    contact_outcome = forms.ChoiceField(
        label="How did it go?",
        choices=ContactOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the contact attempt went"},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label="Outcome",
        help_text="What was done, and what happens next",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Say what the outcome was"},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing it?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Say why you are withdrawing the referral"},
    )


class ConsentWithdrawnForm(forms.Form):
    at = forms.DateTimeField(
        label="When consent was withdrawn",
        input_formats=DATE_TIME_FORMATS,
        help_text="For example, 23/11/2026 14:30",
        error_messages={
            "required": "Enter when consent was withdrawn",
            "invalid": "Enter when consent was withdrawn like 23/11/2026 14:30",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )
