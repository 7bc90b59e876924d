from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "syllabus.assessments"
    label = "assessments"
    verbose_name = "Quizzes"
