from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "saferhub.places"
    label = "places"
    verbose_name = "Place records"
