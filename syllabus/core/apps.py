from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "syllabus.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from syllabus.core import checks, logging  # noqa: F401  (checks registers itself)

        logging.configure_structlog()
