from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "syllabus.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from syllabus.audit import checks  # noqa: F401  (registers the system checks)
