from django.apps import AppConfig


class BriefingsConfig(AppConfig):
    name = "saferhub.briefings"
    verbose_name = "Briefings"
