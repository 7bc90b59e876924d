"""Audit for the Django admin where its LogEntry signal is not enough.

* Each admin change writes a LogEntry, which ``accounts.signals`` turns into an
  ``admin.action`` event. Deleting several objects at once is the exception: Django writes
  those LogEntries with ``bulk_create``, which sends no signal, so the site-wide "delete
  selected" action is wrapped here to record one event per deleted object.
* Site roles edited in the user page's inline go through ``role_grant`` / ``role_revoke``
  instead of raw saves, so they are audited exactly once (``role.granted`` /
  ``role.removed``), kept in history, and get the same no-escalation and last-admin rules
  as every other way of changing roles.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import DELETION
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from syllabus.accounts.models import RoleAssignment, User
from syllabus.accounts.services import role_grant, role_revoke
from syllabus.accounts.signals import admin_action_details
from syllabus.audit.services import record


def audited_delete_selected(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]
) -> TemplateResponse | None:
    confirmed = bool(request.POST.get("post"))
    objects = [(obj.pk, str(obj)) for obj in queryset] if confirmed else []
    response: TemplateResponse | None = delete_selected(modeladmin, request, queryset)
    # None means the objects were deleted (otherwise the confirmation page is returned).
    # A single deletion's LogEntry is saved one by one and already audited by the signal.
    if response is None and len(objects) > 1:
        content_type = ContentType.objects.get_for_model(modeladmin.model, for_concrete_model=False)
        for pk, label in objects:
            record(
                actor=request.user,
                action="admin.action",
                details=admin_action_details(
                    content_type=content_type,
                    object_id=pk,
                    object_repr=label,
                    flag=DELETION,
                    message="",
                ),
            )
    return response


audited_delete_selected.allowed_permissions = delete_selected.allowed_permissions  # type: ignore[attr-defined]
audited_delete_selected.short_description = delete_selected.short_description  # type: ignore[attr-defined]


def save_role_assignments(*, request: HttpRequest, user: User, formset: Any) -> None:
    """Apply the role inline's changes through the role services (see the module doc)."""
    actor = request.user
    formset.save(commit=False)  # sets new_objects, changed_objects, deleted_objects
    changes: list[tuple[str, Any]] = [("revoke", obj.role) for obj in formset.deleted_objects]
    for obj, _fields in formset.changed_objects:
        before = RoleAssignment.objects.select_related("role").get(pk=obj.pk).role
        if before.pk != obj.role_id:
            changes += [("revoke", before), ("grant", obj.role)]
    changes += [("grant", obj.role) for obj in formset.new_objects]
    for verb, role in changes:
        try:
            if verb == "grant":
                role_grant(actor=actor, user=user, role=role)  # type: ignore[arg-type]
            else:
                role_revoke(actor=actor, user=user, role=role)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(getattr(exc, "messages", [str(exc)]))
            if verb == "grant":
                failed = _("%(role)s was not granted: %(reason)s")
            else:
                failed = _("%(role)s was not removed: %(reason)s")
            messages.error(request, failed % {"role": role.name, "reason": text})
