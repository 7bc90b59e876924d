"""The permission catalog and the built-in roles: one table in code.

Permissions are granular codes; roles group them. Site-wide roles apply everywhere;
course-scoped roles (instructor, teaching assistant, learner) apply within one course,
so a user can teach one course and learn in another.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

PERMISSIONS: dict[str, str] = {
    "course.create": gettext_noop("Create courses"),
    "course.edit": gettext_noop("Edit a course's content and settings"),
    "course.view_learners": gettext_noop("See who is enrolled in a course and their progress"),
    "enrolment.manage": gettext_noop("Enrol and unenrol people"),
    "grade.view": gettext_noop("See grades"),
    "grade.edit": gettext_noop("Grade work and change grades"),
    "user.manage": gettext_noop("Create, edit and deactivate users"),
    "role.assign": gettext_noop("Grant and remove roles"),
    "audit.view_security": gettext_noop("Read security audit events"),
    "audit.view_all": gettext_noop("Read every audit event"),
    "export.run": gettext_noop("Export data"),
    "backup.run": gettext_noop("Run and restore backups"),
    "retention.manage": gettext_noop("Manage data retention"),
    "access_review.run": gettext_noop("Run access reviews"),
    "compliance.view": gettext_noop("See the compliance evidence report"),
    "ops.view": gettext_noop("See the operations dashboard and failed jobs"),
    "lockout.manage": gettext_noop("See and clear sign-in lockouts"),
}


@dataclass(frozen=True)
class RoleSpec:
    slug: str
    name: str
    scope: str  # "site" or "course"
    permissions: tuple[str, ...]
    description: str


SITE = "site"
COURSE = "course"

BUILTIN_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        "admin", "Administrator", SITE, tuple(PERMISSIONS), gettext_noop("Runs the whole site.")
    ),
    RoleSpec(
        "manager",
        "Manager",
        SITE,
        ("course.view_learners", "enrolment.manage", "grade.view", "access_review.run"),
        gettext_noop("Enrols people, follows completions, certifies access in reviews."),
    ),
    RoleSpec(
        "auditor",
        "Auditor",
        SITE,
        ("grade.view", "compliance.view"),
        gettext_noop("Reads records and the data-modification audit trail, changes nothing."),
    ),
    RoleSpec(
        "compliance_officer",
        "Compliance officer",
        SITE,
        ("export.run", "retention.manage", "access_review.run", "compliance.view"),
        gettext_noop("Handles data requests, retention and access reviews."),
    ),
    RoleSpec(
        "security_officer",
        "Security officer",
        SITE,
        ("audit.view_security", "user.manage", "ops.view", "lockout.manage"),
        gettext_noop("Watches sign-ins, lockouts and security events."),
    ),
    RoleSpec(
        "instructor",
        "Instructor",
        COURSE,
        ("course.edit", "course.view_learners", "enrolment.manage", "grade.view", "grade.edit"),
        gettext_noop("Builds and teaches a course."),
    ),
    RoleSpec(
        "teaching_assistant",
        "Teaching assistant",
        COURSE,
        ("course.view_learners", "grade.view", "grade.edit"),
        gettext_noop("Helps grade and follow learners in a course."),
    ),
    RoleSpec("learner", "Learner", COURSE, (), gettext_noop("Studies a course.")),
)


def permission_table_markdown() -> str:
    """The permission x built-in role table, as docs/security.md shows it."""
    header = "| permission | meaning | " + " | ".join(r.name for r in BUILTIN_ROLES) + " |"
    rule = "| --- | --- | " + " | ".join("---" for _ in BUILTIN_ROLES) + " |"
    rows = [
        f"| `{code}` | {label} | "
        + " | ".join("yes" if code in role.permissions else "" for role in BUILTIN_ROLES)
        + " |"
        for code, label in PERMISSIONS.items()
    ]
    return "\n".join([header, rule, *rows])


def permission_label(code: str) -> str:
    """A permission's meaning in the active language (the catalog holds the English)."""
    return gettext(PERMISSIONS[code])


def role_description(*, slug: str, description: str) -> str:
    """A role's description for display: a built-in role's own text is translated; a text
    someone wrote (a custom role, an edited description) is shown as written."""
    builtin = {spec.slug: spec.description for spec in BUILTIN_ROLES}
    return gettext(description) if description and builtin.get(slug) == description else description
