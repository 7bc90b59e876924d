from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "syllabus.compliance"
    label = "compliance"
    verbose_name = "Compliance evidence"
