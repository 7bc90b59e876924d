from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "syllabus.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from syllabus.accounts.services import builtin_roles_sync

        post_migrate.connect(builtin_roles_sync, sender=self)

        from syllabus.accounts import signals

        signals.connect()  # audit events for sign-in, passwords, lockouts, the admin

        from syllabus.accounts import security_signals

        security_signals.connect()  # session list, MFA requirement, MFA audit events

        from syllabus.accounts import mfa_binding

        mfa_binding.connect()  # MFA secrets bound to their authenticator row in the database
