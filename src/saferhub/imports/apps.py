from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "saferhub.imports"
    label = "imports"
    verbose_name = "Imports from partner systems"
