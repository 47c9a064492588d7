from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "saferhub.audit"
    label = "audit"
    verbose_name = "Audit trail"
