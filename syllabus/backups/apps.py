from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "syllabus.backups"
    label = "backups"
    verbose_name = "Backups"
