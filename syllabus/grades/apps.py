from django.apps import AppConfig


class GradesConfig(AppConfig):
    name = "syllabus.grades"
    label = "grades"
    verbose_name = "Grades"

    def ready(self) -> None:
        # Courses whose completion rule is "reach the pass grade" read the course grade
        # from the gradebook.
        from syllabus.grades.selectors import course_grade_source
        from syllabus.learning.services import register_grade_source

        register_grade_source(course_grade_source)
