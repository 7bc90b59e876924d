"""The permission catalog and the built-in roles: one table in code.

Permissions are granular codes; roles group them. Site-wide roles apply everywhere;
course-scoped roles (instructor, teaching assistant, learner) apply within one course,
so a user can teach one course and learn in another.
"""

from __future__ import annotations

from dataclasses import dataclass

PERMISSIONS: dict[str, str] = {
    "course.create": "Create courses",
    "course.edit": "Edit a course's content and settings",
    "course.view_learners": "See who is enrolled in a course and their progress",
    "enrolment.manage": "Enrol and unenrol people",
    "grade.view": "See grades",
    "grade.edit": "Grade work and change grades",
    "user.manage": "Create, edit and deactivate users",
    "role.assign": "Grant and remove roles",
    "audit.view_security": "Read security audit events",
    "audit.view_all": "Read every audit event",
    "export.run": "Export data",
    "backup.run": "Run and restore backups",
    "retention.manage": "Manage data retention",
    "access_review.run": "Run access reviews",
    "compliance.view": "See the compliance evidence report",
    "ops.view": "See the operations dashboard and failed jobs",
    "lockout.manage": "See and clear sign-in lockouts",
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
    RoleSpec("admin", "Administrator", SITE, tuple(PERMISSIONS), "Runs the whole site."),
    RoleSpec(
        "manager",
        "Manager",
        SITE,
        ("course.view_learners", "enrolment.manage", "grade.view", "access_review.run"),
        "Enrols people, follows completions, certifies access in reviews.",
    ),
    RoleSpec(
        "auditor",
        "Auditor",
        SITE,
        ("grade.view", "compliance.view"),
        "Reads records and the data-modification audit trail, changes nothing.",
    ),
    RoleSpec(
        "compliance_officer",
        "Compliance officer",
        SITE,
        ("export.run", "retention.manage", "access_review.run", "compliance.view"),
        "Handles data requests, retention and access reviews.",
    ),
    RoleSpec(
        "security_officer",
        "Security officer",
        SITE,
        ("audit.view_security", "user.manage", "ops.view", "lockout.manage"),
        "Watches sign-ins, lockouts and security events.",
    ),
    RoleSpec(
        "instructor",
        "Instructor",
        COURSE,
        ("course.edit", "course.view_learners", "enrolment.manage", "grade.view", "grade.edit"),
        "Builds and teaches a course.",
    ),
    RoleSpec(
        "teaching_assistant",
        "Teaching assistant",
        COURSE,
        ("course.view_learners", "grade.view", "grade.edit"),
        "Helps grade and follow learners in a course.",
    ),
    RoleSpec("learner", "Learner", COURSE, (), "Studies a course."),
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
