from django.contrib import admin

from saferhub.briefings.models import BriefingSettings
from saferhub.hub.admin_site import HubModelAdmin


# Settings only: briefings themselves are read through the sharing engine, never the admin.
@admin.register(BriefingSettings)
class BriefingSettingsAdmin(HubModelAdmin):
    list_display = [
        "partnership",
        "generate_at",
        "window_hours",
        "monday_covers_weekend",
        "repeat_threshold",
        "repeat_window_days",
    ]
