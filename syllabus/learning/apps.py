from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "syllabus.learning"
    label = "learning"
    verbose_name = "Learning"
