from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from syllabus.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, and no one adds to it by hand."""

    list_display = ("occurred_at", "category", "action", "actor_label", "target_label", "ip")
    list_filter = ("category", "action")
    search_fields = ("action", "actor_label", "target_id", "request_id")
    date_hierarchy = "occurred_at"
    list_select_related = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
