from django.contrib import admin

from saferhub.hub.admin_site import HubInline, HubModelAdmin
from saferhub.partnerships.models import (
    FundedPost,
    Membership,
    Organisation,
    Partnership,
    RoleAssignment,
    Theme,
    User,
)


class MembershipInline(HubInline):
    model = Membership


class FundedPostInline(HubInline):
    model = FundedPost
    fk_name = "partnership"


class RoleAssignmentInline(HubInline):
    model = RoleAssignment


@admin.register(Partnership)
class PartnershipAdmin(HubModelAdmin):
    list_display = ["name", "code", "local_authority", "region", "setting"]
    search_fields = ["name", "code"]
    inlines = [MembershipInline, FundedPostInline]


@admin.register(Organisation)
class OrganisationAdmin(HubModelAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Theme)
class ThemeAdmin(HubModelAdmin):
    list_display = ["name", "code", "partnership"]


@admin.register(User)
class UserAdmin(HubModelAdmin):
    list_display = ["username", "name", "email", "organisation", "is_active", "last_login"]
    list_filter = ["is_active", "organisation"]
    search_fields = ["username", "name", "email"]
    fields = ["username", "name", "email", "organisation", "is_active", "last_login"]
    readonly_fields = ["last_login"]
    inlines = [RoleAssignmentInline]
