from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class HubConfig(AppConfig):
    name = "saferhub.hub"
    label = "hub"
    default = True


class HubAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "saferhub.hub.admin_site.HubAdminSite"
