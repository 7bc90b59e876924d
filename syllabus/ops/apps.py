from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "syllabus.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from syllabus.ops import signals

        signals.connect()
