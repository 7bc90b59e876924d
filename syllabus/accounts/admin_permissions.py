"""The Django admin asks the same permission layer as every other entry point."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from syllabus.accounts.permissions import has_any_site_perm


class PermissionCodeAdminMixin:
    """ModelAdmin mixin: ``view_codes`` allow reading, ``change_codes`` allow changing.

    Staff status only opens the admin site; what each page shows is decided by the
    permission codes of the user's roles, so the admin never shows more than the
    application's own pages would.
    """

    view_codes: tuple[str, ...] = ()
    change_codes: tuple[str, ...] = ()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_any_site_perm(request.user, *self.view_codes, *self.change_codes)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self.change_codes) and has_any_site_perm(request.user, *self.change_codes)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)
