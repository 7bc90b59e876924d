"""Notifications in the admin: read-only for people managers, preferences editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from syllabus.accounts.admin_permissions import PermissionCodeAdminMixin
from syllabus.communication.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(PermissionCodeAdminMixin, admin.ModelAdmin):
    view_codes = ("user.manage",)
    list_display = ("title", "recipient", "kind", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("title", "recipient__email", "public_id")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over a large table on every page

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Notification._meta.fields]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(PermissionCodeAdminMixin, admin.ModelAdmin):
    view_codes = ("user.manage",)
    change_codes = ("user.manage",)
    list_display = ("user", "email_mode", "updated_at")
    list_filter = ("email_mode",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
