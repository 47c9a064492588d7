from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "saferhub.demo"
    label = "demo"
