from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from saferhub.accounts.forms import InvitingPasswordResetForm, LoginForm, SecondFactorForm
from saferhub.accounts.second_factor import (
    confirmed_device,
    device_to_set_up,
    qr_code_svg,
    secret_for_typing,
)

TOO_MANY_CODES = "Too many wrong codes in a row. Wait a few seconds, then enter the newest code"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    extra_context = {"lockout_attempts": settings.AXES_FAILURE_LIMIT}


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return str(reverse_lazy("hub:start"))


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the code from the user's authenticator app, or send them to set one up."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    device = confirmed_device(request.user)
    if device is None:
        return redirect(
            f"{reverse_lazy('accounts:second-factor-set-up')}?{request.GET.urlencode()}"
        )
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("code", TOO_MANY_CODES)
        elif device.verify_token(form.cleaned_data["code"]):
            otp_login(request, device)
            return redirect(_next_url(request))
        else:
            form.add_error("code", "That code is not right. Enter the newest code your app shows")
    status = 422 if form.errors else 200
    return render(
        request,
        "accounts/second_factor.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


@login_required
def second_factor_set_up(request: HttpRequest) -> HttpResponse:
    """First login: show a QR code for the authenticator app, then confirm with its code."""
    if confirmed_device(request.user) is not None:
        return redirect(f"{reverse_lazy('accounts:second-factor')}?{request.GET.urlencode()}")
    device = device_to_set_up(request.user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("code", TOO_MANY_CODES)
        elif device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            return redirect(_next_url(request))
        else:
            form.add_error(
                "code",
                "That code is not right. Check the app shows the Safer Communities Hub "
                "and enter its newest code",
            )
    return render(
        request,
        "accounts/second_factor_set_up.html",
        {
            "form": form,
            "qr_code": qr_code_svg(device),
            "secret": secret_for_typing(device),
            "next": _next_url(request),
        },
        status=422 if form.errors else 200,
    )


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = InvitingPasswordResetForm
    success_url = reverse_lazy("accounts:password-reset-sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        # Whoever proves they hold the mailbox may try again at once.
        axes_reset(username=self.user.get_username())
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("hub:start")

    def form_valid(self, form):
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)
