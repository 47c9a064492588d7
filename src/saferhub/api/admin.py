from django.contrib import admin

from saferhub.api.models import ApiToken
from saferhub.hub.admin_site import HubModelAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(HubModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    fields = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        # Tokens are made with `saferhub token create`, which shows the token once.
        return False
