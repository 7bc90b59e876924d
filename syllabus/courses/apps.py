from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "syllabus.courses"
    label = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from syllabus.accounts.mfa import register_mfa_role_source
        from syllabus.accounts.tokens import register_scope_source
        from syllabus.courses.permissions import (
            connect_signals as connect_permission_signals,
        )
        from syllabus.courses.permissions import course_role_permissions, course_role_slugs

        # Instructors are a course role; the MFA policy counts them, and API tokens may
        # carry course permissions (accounts never imports courses: we register ourselves).
        register_mfa_role_source(course_role_slugs)
        register_scope_source(course_role_permissions)
        # A membership written outside the services: its user object forgets its roles.
        connect_permission_signals()

        from syllabus.courses.services_enrolment import connect_signals

        connect_signals()  # free places (capacity raised...) go to the waiting list
