from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "saferhub.linkage"
    label = "linkage"
    verbose_name = "Record linkage: one person, one place"
