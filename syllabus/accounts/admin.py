from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from syllabus.accounts.admin_audit import audited_delete_selected, save_role_assignments
from syllabus.accounts.admin_permissions import PermissionCodeAdminMixin
from syllabus.accounts.models import Role, RoleAssignment, User
from syllabus.accounts.permissions import can_grant, has_any_site_perm, has_site_perm

# Deleting several objects at once is audited per object (see accounts.admin_audit).
admin.site.add_action(audited_delete_selected, "delete_selected")
# Access comes from roles (accounts.Role), not Django's groups: hide them to avoid a
# second, unaudited way to grant permissions.
admin.site.unregister(Group)


class RoleAssignmentInline(admin.TabularInline):
    """Site roles on the user page: only for role assigners, only roles they may grant."""

    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ("role", "granted_by", "created_at")
    readonly_fields = ("granted_by", "created_at")

    def _may_assign(self, request: HttpRequest) -> bool:
        return has_site_perm(request.user, "role.assign")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_assign(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_assign(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_assign(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_any_site_perm(request.user, "user.manage", "role.assign")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            grantable = [
                r.pk for r in Role.objects.filter(scope="site") if can_grant(request.user, r)
            ]
            kwargs["queryset"] = Role.objects.filter(pk__in=grantable)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(PermissionCodeAdminMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    view_codes = ("role.assign",)
    change_codes = ("user.manage",)
    ordering = ("email",)
    list_display = ("email", "full_name", "public_id", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name", "public_id")
    readonly_fields = ("public_id", "date_joined", "last_login")
    inlines = (RoleAssignmentInline,)
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(self.readonly_fields)
        # Only a superuser may make superusers or staff: no escalation through the admin.
        if not getattr(request.user, "is_superuser", False):
            fields += ("is_staff", "is_superuser")
        return fields

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Site roles change through the role services: audited once, no escalation.
        if formset.model is RoleAssignment:
            save_role_assignments(request=request, user=form.instance, formset=formset)
        else:
            super().save_formset(request, form, formset, change)


@admin.register(Role)
class RoleAdmin(PermissionCodeAdminMixin, admin.ModelAdmin):
    view_codes = ("user.manage",)
    change_codes = ("role.assign",)
    list_display = ("name", "slug", "scope", "is_builtin")
    list_filter = ("scope", "is_builtin")
    prepopulated_fields = {"slug": ("name",)}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("slug", "scope", "permissions") if obj and obj.is_builtin else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not (obj and obj.is_builtin) and super().has_delete_permission(request, obj)
