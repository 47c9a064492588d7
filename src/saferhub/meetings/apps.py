from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "saferhub.meetings"
    verbose_name = "Meetings"
