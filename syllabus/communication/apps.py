from django.apps import AppConfig


class CommunicationConfig(AppConfig):
    name = "syllabus.communication"
    label = "communication"
    verbose_name = "Communication"
