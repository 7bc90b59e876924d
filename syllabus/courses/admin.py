"""Courses in the Django admin: read-only views for administrators.

Every change to a course, its categories and tags goes through the services (audited,
search text and caches kept in step), so the admin only shows them and links to the
pages that change them. Visible to holders of the ``course.edit`` site permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from syllabus.accounts.admin_permissions import PermissionCodeAdminMixin
from syllabus.courses.models import Category, Course, Tag


class ReadOnlyAdmin(PermissionCodeAdminMixin, admin.ModelAdmin):
    view_codes = ("course.edit",)
    actions = None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + [
            f.name for f in self.model._meta.many_to_many
        ]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "position", "course_total", "manage")
    search_fields = ("name", "slug")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(course_total=Count("courses"))

    @admin.display(description="courses", ordering="course_total")
    def course_total(self, obj: Any) -> int:
        return int(obj.course_total)

    @admin.display(description="change")
    def manage(self, obj: Category) -> str:
        url = reverse("courses:category_edit", args=[obj.slug])
        return format_html('<a href="{}">Edit on the categories page</a>', url)


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "course_total")
    search_fields = ("name", "slug")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(course_total=Count("courses"))

    @admin.display(description="courses", ordering="course_total")
    def course_total(self, obj: Any) -> int:
        return int(obj.course_total)


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ("title", "public_id", "status", "category", "level", "published_at", "page")
    list_filter = ("status", "level", "category")
    search_fields = ("title", "public_id", "slug")
    list_select_related = ("category",)

    @admin.display(description="course page")
    def page(self, obj: Course) -> str:
        url = reverse("courses:detail", args=[obj.public_id])
        return format_html('<a href="{}">Open</a>', url)
