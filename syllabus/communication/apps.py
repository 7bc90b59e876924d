from django.apps import AppConfig


class CommunicationConfig(AppConfig):
    name = "syllabus.communication"
    label = "communication"
    verbose_name = "Communication"

    def ready(self) -> None:
        # Importing tasks_sms registers its jobs in every process (the worker included);
        # accounts, a lower layer, gets its one-time codes delivered through us.
        from syllabus.accounts.one_time_codes import register_code_sender
        from syllabus.communication import tasks_sms

        register_code_sender(tasks_sms.one_time_code_deliver)
