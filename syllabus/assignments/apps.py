from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "syllabus.assignments"
    label = "assignments"
    verbose_name = "Assignments"
