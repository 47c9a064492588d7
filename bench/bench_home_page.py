"""Home page latency for a practitioner, against the health check in the same run.

The home page reads the partnership's members, funded posts and protocols in force; the
health check does one SELECT. Their ratio shows what the page itself costs, whatever the
machine's speed today.
"""

import datetime

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.measure import Result, median, percentile, timings_ms
from saferhub.demo.services import demo_load
from saferhub.partnerships.models import User

REQUESTS = 300


def run() -> list[Result]:
    demo_load(size="large", seed=2026, today=datetime.date.today())
    user = User.objects.get(username="demo.police")
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()

    def home():
        response = client.get("/partnerships/dundee/")
        assert response.status_code == 200

    def health():
        assert client.get("/health/").status_code == 200

    baseline = timings_ms(health, REQUESTS)
    page = timings_ms(home, REQUESTS)
    return [
        Result("home page p50", median(page), "ms", 50),
        Result("home page p95", percentile(page, 0.95), "ms", 100),
        Result("home page p50 / health check p50", median(page) / median(baseline), "x", 15),
    ]
