from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "syllabus.privacy"
    label = "privacy"
    verbose_name = "Privacy and compliance"
