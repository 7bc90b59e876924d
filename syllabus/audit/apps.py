from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "syllabus.audit"
    label = "audit"
    verbose_name = "Audit trail"
