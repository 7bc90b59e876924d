from django.apps import AppConfig


class GradesConfig(AppConfig):
    name = "syllabus.grades"
    label = "grades"
    verbose_name = "Grades"
