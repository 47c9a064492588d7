"""Django's admin site, open only to holders of the admin role who passed the second factor.

Only partnership set-up is registered here. Records about people and places never are:
the admin site does not apply the sharing rules.
"""

from django.contrib import admin
from django.http import HttpRequest


class HubAdminSite(admin.AdminSite):
    site_header = "Safer Communities Hub administration"
    site_title = "Safer Communities Hub administration"
    index_title = "Partnership set-up"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        # is_staff is kept in step with the admin role by applying partnership files.
        return bool(user.is_active and user.is_staff and user.is_verified())


class HubModelAdmin(admin.ModelAdmin):
    """Every admin-role holder may manage every registered model."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)


class HubInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)
