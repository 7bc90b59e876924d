"""Certificates in the admin: read-only (revoke and reissue on the course's certificates
page, where they are confirmed, audited and notified)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from syllabus.accounts.admin_permissions import PermissionCodeAdminMixin
from syllabus.certificates.models import Certificate


@admin.register(Certificate)
class CertificateAdmin(PermissionCodeAdminMixin, admin.ModelAdmin):
    view_codes = ("course.view_learners",)
    list_display = (
        "code",
        "learner_name",
        "course_title",
        "completed_at",
        "issued_at",
        "revoked_at",
    )
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("code", "learner_name", "course_title", "user__email", "public_id")
    list_select_related = ("user", "course")
    date_hierarchy = "issued_at"
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Certificate._meta.fields]
