from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "syllabus.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from syllabus.core import checks, logging  # noqa: F401  (checks registers itself)
        from syllabus.core.ninja_models import share_response_models

        logging.configure_structlog()
        share_response_models()  # before the URLconf imports the API's routers
