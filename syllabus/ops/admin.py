from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from syllabus.accounts.admin_permissions import PermissionCodeAdminMixin
from syllabus.accounts.permissions import site_permissions, site_role_slugs
from syllabus.audit.models import AuditEvent
from syllabus.audit.selectors import readable_categories
from syllabus.ops.models import FailedJob
from syllabus.ops.services import failed_job_rerun


@admin.register(FailedJob)
class FailedJobAdmin(PermissionCodeAdminMixin, admin.ModelAdmin):
    view_codes = ("ops.view",)
    list_display = ("task_name", "failed_at", "error_summary", "rerun_at")
    list_filter = ("task_name",)
    search_fields = ("task_name", "task_id", "error")
    actions = ("rerun",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in FailedJob._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return "ops.view" in site_permissions(request.user)

    @admin.display(description="error")
    def error_summary(self, obj: FailedJob) -> str:
        return obj.error.splitlines()[0][:120] if obj.error else ""

    @admin.action(description="Re-run the selected jobs", permissions=["rerun"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[FailedJob]) -> None:
        done = 0
        for failed_job in queryset:
            try:
                failed_job_rerun(actor=request.user, failed_job=failed_job)
                done += 1
            except ValidationError as exc:
                self.message_user(
                    request, f"{failed_job}: {' '.join(exc.messages)}", messages.ERROR
                )
        if done:
            self.message_user(
                request,
                ngettext("Re-queued %(count)d job.", "Re-queued %(count)d jobs.", done)
                % {"count": done},
                messages.SUCCESS,
            )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only, and each reader sees only the categories the catalog opens to them."""

    list_display = ("occurred_at", "category", "action", "actor_label", "target_label", "ip")
    list_filter = ("category", "action")
    search_fields = ("action", "actor_label", "target_id", "request_id")
    date_hierarchy = "occurred_at"

    def _categories(self, request: HttpRequest) -> list[str]:
        user = request.user
        return [
            c.value
            for c in readable_categories(
                role_slugs=site_role_slugs(user),
                permissions=site_permissions(user),
                is_superuser=bool(getattr(user, "is_superuser", False)),
            )
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).filter(category__in=self._categories(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = self._categories(request)
        return bool(allowed) and (obj is None or obj.category in allowed)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
