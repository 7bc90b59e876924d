"""The "Manage" page: every administration tool the signed-in person may use, in one
place, so the main navigation stays short. Tools a person may not use are not shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from syllabus.accounts.invitations import INVITE_PERMISSIONS
from syllabus.accounts.permissions import site_permissions, site_role_slugs
from syllabus.audit.catalog import Category
from syllabus.audit.selectors import readable_categories


@dataclass(frozen=True)
class Tool:
    title: str
    url: str
    description: str
    group: Any  # a lazily translated group name from GROUPS


GROUPS = (
    gettext_lazy("People and access"),
    gettext_lazy("Operations"),
    gettext_lazy("Compliance and data protection"),
)


def tools_for(user: object) -> list[Tool]:
    if not getattr(user, "is_authenticated", False):
        return []
    perms = site_permissions(user)
    categories = readable_categories(
        role_slugs=site_role_slugs(user),
        permissions=perms,
        is_superuser=bool(getattr(user, "is_superuser", False)),
    )
    people, ops, compliance = GROUPS
    offered: list[tuple[bool, str, str, str, Any]] = [
        (
            bool({"user.manage", "role.assign"} & perms),
            _("People and roles"),
            "accounts:people",
            _("Accounts, site roles and custom roles."),
            people,
        ),
        (
            bool(set(INVITE_PERMISSIONS) & perms),
            _("Invitations"),
            "accounts:invitations",
            _("Invite people to sign up, with a role."),
            people,
        ),
        (
            "lockout.manage" in perms,
            _("Sign-in lockouts"),
            "accounts:lockouts",
            _("Accounts and addresses locked after failed sign-ins."),
            people,
        ),
        (
            "access_review.run" in perms,
            _("Access reviews"),
            "reviews:campaigns",
            _("Quarterly review of every role that grants permissions."),
            people,
        ),
        (
            "ops.view" in perms,
            _("Operations dashboard"),
            "ops:dashboard",
            _("Health, response times, errors, alerts and activity."),
            ops,
        ),
        (
            "backup.run" in perms,
            _("Backups"),
            "backups:list",
            _("Backups taken, verified and pruned; back up now."),
            ops,
        ),
        (
            bool(categories),
            _("Audit trail"),
            "ops:audit_log",
            _("Who did what, in the categories your roles may read."),
            compliance,
        ),
        (
            Category.REPORT_EXPORT in categories,
            _("Data exports"),
            "ops:exports",
            _("Every export of data: who, what and how many rows."),
            compliance,
        ),
        (
            "compliance.view" in perms,
            _("Compliance evidence"),
            "compliance:overview",
            _("MFA coverage, reviews, backups, retention and requests, with dates."),
            compliance,
        ),
        (
            bool({"export.run", "retention.manage"} & perms),
            _("Data subject requests"),
            "privacy:requests",
            _("Exports and erasures asked for under the GDPR, with their deadlines."),
            compliance,
        ),
        (
            "retention.manage" in perms,
            _("Retention"),
            "privacy:retention",
            _("What the retention policy removes, anonymises or archives."),
            compliance,
        ),
        (
            bool(getattr(user, "is_staff", False)),
            _("Django admin"),
            "admin:index",
            _("Raw records, for what the pages above do not cover."),
            ops,
        ),
    ]
    return [
        Tool(title, reverse(name), description, group)
        for allowed, title, name, description, group in offered
        if allowed
    ]


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    tools = tools_for(request.user)
    grouped = [(group, [t for t in tools if t.group == group]) for group in GROUPS]
    return render(
        request,
        "ops/manage.html",
        {"groups": [(g, items) for g, items in grouped if items]},
    )
