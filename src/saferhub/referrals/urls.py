from django.urls import path

from saferhub.referrals import views

app_name = "referrals"

BASE = "partnerships/<slug:partnership_code>/referrals/"

urlpatterns = [
    path(BASE, views.referral_list, name="list"),
    path(f"{BASE}new/", views.referral_new, name="new"),
    path(f"{BASE}<int:referral_id>/", views.referral_detail, name="detail"),
    *[
        path(
            f"{BASE}<int:referral_id>/{step.replace('_', '-')}/",
            views.referral_step,
            {"step": step},
            name=step.replace("_", "-"),
        )
        for step in ("accept", "decline", "assign", "contact", "complete", "withdraw")
    ],
    path(
        f"{BASE}<int:referral_id>/consent-withdrawn/",
        views.referral_step,
        {"step": "consent_withdrawn"},
        name="consent-withdrawn",
    ),
]
