from django.contrib import admin

from saferhub.hub.admin_site import HubModelAdmin
from saferhub.referrals.models import ReferralType, UrgencyDueTime


@admin.register(ReferralType)
class ReferralTypeAdmin(HubModelAdmin):
    list_display = ["name", "code", "partnership", "active"]
    list_filter = ["partnership", "active"]
    search_fields = ["name", "code"]


@admin.register(UrgencyDueTime)
class UrgencyDueTimeAdmin(HubModelAdmin):
    list_display = ["partnership", "urgency", "hours"]
    list_filter = ["partnership", "urgency"]
