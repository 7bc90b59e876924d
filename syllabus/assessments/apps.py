from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "syllabus.assessments"
    label = "assessments"
    verbose_name = "Quizzes"

    def ready(self) -> None:
        from syllabus.assessments.handlers import QuizLessonHandler
        from syllabus.courses.lesson_kinds import register_lesson_kind

        register_lesson_kind("quiz", QuizLessonHandler())
