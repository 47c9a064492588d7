from django.apps import AppConfig


class GeographyConfig(AppConfig):
    name = "saferhub.geography"
    label = "geography"
    verbose_name = "Geography and reference data"
