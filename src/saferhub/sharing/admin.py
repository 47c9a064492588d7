from django.contrib import admin

from saferhub.hub.admin_site import HubInline, HubModelAdmin
from saferhub.sharing.models import Protocol, Signatory


class SignatoryInline(HubInline):
    model = Signatory


@admin.register(Protocol)
class ProtocolAdmin(HubModelAdmin):
    list_display = ["title", "code", "version", "partnership", "status", "level", "review_by"]
    list_filter = ["status", "level", "partnership"]
    search_fields = ["title", "code"]
    filter_horizontal = ["themes"]
    inlines = [SignatoryInline]
