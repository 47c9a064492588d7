from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from saferhub.partnerships.models import User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is not active. Ask your hub administrator.",
    }


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code your authenticator app shows now.",
        max_length=10,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the code as 6 digits, like 123456")
        return code


class InvitingPasswordResetForm(PasswordResetForm):
    """Also sends a link to active users who have never set a password: users created from a
    partnership file get their first password this way."""

    def get_users(self, email: str):
        return User.objects.filter(email__iexact=email, is_active=True)
