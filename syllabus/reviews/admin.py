"""Reporting lines (who manages whom) are kept in the admin: access review items go to
the holder's manager. Campaigns themselves are run from the access review pages."""

from __future__ import annotations

from django.contrib import admin

from syllabus.accounts.admin_permissions import PermissionCodeAdminMixin
from syllabus.reviews.models import ReportingLine


@admin.register(ReportingLine)
class ReportingLineAdmin(PermissionCodeAdminMixin, admin.ModelAdmin):
    change_codes = ("user.manage", "access_review.run")
    list_display = ("user", "manager", "updated_at")
    search_fields = ("user__email", "manager__email")
    list_select_related = ("user", "manager")
    raw_id_fields = ("user", "manager")
