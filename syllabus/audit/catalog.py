"""Every audited action, its category, and each category's retention and readers.

The categories, retention periods and readers are the seed's audit table (section 6.1).
An action missing from ACTIONS cannot be recorded: adding an audited action means adding
a row here, which is where reviewers look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Category(StrEnum):
    AUTHENTICATION = "authentication"
    COURSE_ACCESS = "course_access"
    DATA_MODIFICATION = "data_modification"
    ADMIN_ACTION = "admin_action"
    REPORT_EXPORT = "report_export"


@dataclass(frozen=True)
class CategoryPolicy:
    label: StrOrPromise  # translated when shown
    retention: timedelta
    readers: tuple[str, ...]  # role slugs that may read events of this category


_YEAR = timedelta(days=365)

POLICIES: dict[Category, CategoryPolicy] = {
    Category.AUTHENTICATION: CategoryPolicy(_("User authentication"), 2 * _YEAR, ("admin",)),
    Category.COURSE_ACCESS: CategoryPolicy(_("Course access"), 1 * _YEAR, ("admin", "manager")),
    Category.DATA_MODIFICATION: CategoryPolicy(_("Data modifications"), 7 * _YEAR, ("auditor",)),
    Category.ADMIN_ACTION: CategoryPolicy(_("Admin actions"), 7 * _YEAR, ("compliance_officer",)),
    Category.REPORT_EXPORT: CategoryPolicy(_("Report exports"), 1 * _YEAR, ("security_officer",)),
}

_AUTH = Category.AUTHENTICATION
_COURSE = Category.COURSE_ACCESS
_DATA = Category.DATA_MODIFICATION
_ADMIN = Category.ADMIN_ACTION
_EXPORT = Category.REPORT_EXPORT

ACTIONS: dict[str, Category] = {
    # Authentication
    "auth.login": _AUTH,
    "auth.login_failed": _AUTH,
    "auth.logout": _AUTH,
    "auth.lockout": _AUTH,
    "auth.unlock": _AUTH,
    "auth.password_changed": _AUTH,
    "auth.password_reset": _AUTH,
    "auth.mfa_enrolled": _AUTH,
    "auth.mfa_removed": _AUTH,
    "auth.mfa_reset": _AUTH,
    "auth.session_revoked": _AUTH,
    "auth.token_created": _AUTH,
    "auth.token_revoked": _AUTH,
    # Course access
    "course.viewed": _COURSE,
    "enrolment.created": _COURSE,
    "enrolment.removed": _COURSE,
    "enrolment.updated": _COURSE,  # end date or cohort changed
    "enrolment.expired": _COURSE,  # the end date passed
    "enrolment.waitlisted": _COURSE,
    "enrolment.waitlist_left": _COURSE,
    "enrolment.import_applied": _COURSE,
    "cohort.created": _COURSE,
    "cohort.updated": _COURSE,
    "cohort.deleted": _COURSE,
    "course.completed": _COURSE,
    "records.viewed": _COURSE,  # FERPA: staff viewed learners' education records
    # Data modifications
    "user.created": _DATA,
    "course.created": _DATA,
    "course.updated": _DATA,
    "course.published": _DATA,
    "course.unpublished": _DATA,
    "course.archived": _DATA,
    "course.copied": _DATA,
    "course.deleted": _DATA,
    "category.created": _DATA,
    "category.updated": _DATA,
    "category.deleted": _DATA,
    "module.created": _DATA,
    "module.updated": _DATA,
    "module.deleted": _DATA,
    "module.reordered": _DATA,
    "module.published": _DATA,
    "module.unpublished": _DATA,
    "lesson.created": _DATA,
    "lesson.updated": _DATA,
    "lesson.deleted": _DATA,
    "lesson.reordered": _DATA,
    "lesson.published": _DATA,
    "lesson.unpublished": _DATA,
    "announcement.posted": _DATA,
    "announcement.updated": _DATA,
    "announcement.deleted": _DATA,
    "user.updated": _DATA,
    "user.deactivated": _DATA,
    "grade.changed": _DATA,
    "invitation.accepted": _DATA,
    "directory.opted_out": _DATA,  # FERPA directory information
    "directory.opted_in": _DATA,
    # Admin actions
    "admin.action": _ADMIN,
    "role.granted": _ADMIN,
    "user.invited": _ADMIN,
    "invitation.revoked": _ADMIN,
    "role.removed": _ADMIN,
    "role.created": _ADMIN,
    "role.updated": _ADMIN,
    "role.deleted": _ADMIN,
    "job.rerun": _ADMIN,
    "audit.verified": _ADMIN,
    "audit.purged": _ADMIN,
    "audit.redacted": _ADMIN,  # personal data pseudonymised on erasure (privacy)
    "demo.loaded": _ADMIN,
    "demo.removed": _ADMIN,
    # Report exports
    "export.run": _EXPORT,
    # --- Assessments: quizzes (syllabus.assessments) ---
    "question_bank.created": _DATA,
    "question_bank.updated": _DATA,
    "question_bank.deleted": _DATA,
    "question.created": _DATA,
    "question.updated": _DATA,
    "question.deleted": _DATA,
    "quiz.updated": _DATA,
    "quiz.accommodation_set": _DATA,
    "quiz.attempt_started": _COURSE,
    "quiz.attempt_submitted": _COURSE,
    "quiz.attempt_expired": _COURSE,  # the server submitted it when time ran out
    "quiz.answer_graded": _DATA,  # an essay graded by hand
    "quiz.regraded": _DATA,
    # --- Assessments: assignments (syllabus.assignments) ---
    "assignment.updated": _DATA,
    "assignment.submitted": _COURSE,
    "assignment.graded": _DATA,
    "assignment.extension_granted": _DATA,
    "assignment.extension_removed": _DATA,
    "rubric.updated": _DATA,
    # --- Gradebook (syllabus.grades) ---
    "grade.recorded": _DATA,
    "grade.overridden": _DATA,
    "grade.override_removed": _DATA,
    "grade.item_created": _DATA,
    "grade.item_updated": _DATA,
    "grade.item_deleted": _DATA,
    "grade.category_created": _DATA,
    "grade.category_updated": _DATA,
    "grade.category_deleted": _DATA,
    "grade.scale_updated": _DATA,
    "grade.import_applied": _DATA,
    # --- Certificates (syllabus.certificates) ---
    "certificate.issued": _DATA,
    "certificate.revoked": _DATA,
    "certificate.settings_updated": _DATA,  # issue or not, validity in days
    # --- Access reviews (syllabus.reviews) ---
    "access_review.started": _ADMIN,
    "access_review.decided": _ADMIN,
    "access_review.reassigned": _ADMIN,
    "access_review.revoked": _ADMIN,
    "access_review.reminded": _ADMIN,
    "access_review.signed_off": _ADMIN,
    # --- Data protection (field encryption, backups, privacy): added by those apps ---
    # Field encryption (syllabus.core.crypto, `syllabus rotate-keys`, personal details)
    "crypto.rotation_started": _ADMIN,
    "crypto.keys_rotated": _ADMIN,
    "crypto.rotation_refused": _ADMIN,  # a key missing from the ring, or a wrong key
    "personal_details.updated": _DATA,  # which fields changed, never their values
    "personal_details.viewed": _ADMIN,  # shown to a user.manage holder on a person page
    "backup.created": _ADMIN,  # syllabus.backups: an encrypted archive was written
    "backup.verified": _ADMIN,  # restored into a scratch database and compared
    "backup.restored": _ADMIN,
    "backup.pruned": _ADMIN,  # archives past SYLLABUS_BACKUP_RETENTION_DAYS deleted
    "backup.failed": _ADMIN,  # any of the above failed; details say which and why
    # syllabus.privacy: data subject requests, consent, policies, retention
    "privacy.export_requested": _ADMIN,
    "privacy.export_built": _ADMIN,  # the ZIP was written; details: files, rows, sha256
    "privacy.export_downloaded": _EXPORT,  # like export.run: what, whose, rows, sha256
    "privacy.export_expired": _ADMIN,  # the download link ran out; the file was deleted
    "privacy.export_failed": _ADMIN,
    "privacy.erasure_requested": _ADMIN,
    "privacy.erasure_approved": _ADMIN,
    "privacy.erasure_rejected": _ADMIN,
    "privacy.erasure_completed": _ADMIN,  # details: rows deleted/anonymised/kept per model
    "privacy.request_overdue": _ADMIN,  # past the 30-day response deadline
    "privacy.consent_given": _DATA,
    "privacy.policy_published": _ADMIN,
    "retention.run": _ADMIN,  # details: per category counts, archives and checksums
    "retention.previewed": _ADMIN,  # a dry run: what would happen, nothing changed
}


def category_of(action: str) -> Category:
    try:
        return ACTIONS[action]
    except KeyError:
        raise ValueError(
            f"Unknown audit action {action!r}: add it to syllabus.audit.catalog.ACTIONS."
        ) from None


def categories_readable_by(role_slugs: set[str]) -> list[Category]:
    return [cat for cat, policy in POLICIES.items() if role_slugs & set(policy.readers)]
