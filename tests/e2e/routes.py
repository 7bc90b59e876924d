"""Every URL pattern of the web UI, and how the accessibility suite visits it.

* ``PAGES``: route name -> the visits that check it: who signs in (a role of
  ``route_world.ROLE_EMAILS``, or ``anonymous``), the path built from the test's data, the
  state (``normal``; ``empty``: nothing to list yet; ``invalid``: the form sent back with
  its errors) and the status the page answers with.
* ``EXCLUDED``: route name -> why it is not a page (JSON, a file, a POST-only action, a
  redirect, Django's admin...).
* ``ERROR_PAGES``: the error pages, which have no route of their own.

``tests/test_route_registry.py`` fails when a URL pattern is in neither map: a new page
gets a visit here (and is then checked with axe by tests/e2e/test_route_accessibility.py),
anything else an entry in ``EXCLUDED`` with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import URLPattern, URLResolver, get_resolver

if TYPE_CHECKING:
    from tests.e2e.route_world import World

NORMAL, EMPTY, INVALID = "normal", "empty", "invalid"


@dataclass(frozen=True)
class Visit:
    role: str
    path: Callable[[World], str]
    state: str = NORMAL
    status: int = 200
    # INVALID: the form (CSS selector) that is sent with its text fields cleared and the
    # browser's own checks off, so the server answers with its error messages.
    form: str = "main form[method=post]"
    # The page is the second step of signing in (the MFA code): visited by the sign-in.
    during_sign_in: bool = False
    # Where the page lands when it is not the path asked for (a redirect): the start of
    # the path. Any other redirect fails the visit, so a page that sends its visitor to
    # the sign-in page is never checked in its place.
    lands_on: str | None = None


def v(role: str, path: Callable[[World], str], **kwargs: object) -> Visit:
    return Visit(role, path, **kwargs)


def invalid(role: str, path: Callable[[World], str], **kwargs: object) -> Visit:
    return Visit(role, path, state=INVALID, **kwargs)


def empty(role: str, path: Callable[[World], str], **kwargs: object) -> Visit:
    return Visit(role, path, state=EMPTY, **kwargs)


A, L, N, I, TA = "anonymous", "learner", "newcomer", "instructor", "ta"  # noqa: E741
ADMIN, MGR, AUD, COMP, SEC, MFA = (
    "admin",
    "manager",
    "auditor",
    "compliance",
    "security",
    "mfa",
)


def crs(w: World) -> str:
    return f"/courses/{w.course_id}"


def ecrs(w: World) -> str:
    return f"/courses/{w.empty_course_id}"


QUESTION_KINDS = (
    "single",
    "multiple",
    "true_false",
    "short_text",
    "numeric",
    "matching",
    "ordering",
    "essay",
)


def _question_new(kind: str) -> Callable[[World], str]:
    return lambda w: f"/quizzes/teach/banks/{w.bank}/new/{kind}/"


PAGES: dict[str, tuple[Visit, ...]] = {
    "home": (v(A, lambda w: "/"), v(L, lambda w: "/")),
    "help": (v(A, lambda w: "/help/"), v(L, lambda w: "/help/")),
    # --- Sign-in and account (allauth) ---
    "account_login": (v(A, lambda w: "/accounts/login/"), invalid(A, lambda w: "/accounts/login/")),
    "account_logout": (v(L, lambda w: "/accounts/logout/"),),
    "account_inactive": (v(A, lambda w: "/accounts/inactive/"),),
    # Sign-up is by invitation (SYLLABUS_SIGNUP=invite): without one the page says so (403).
    "account_signup": (v(A, lambda w: "/accounts/signup/", status=403),),
    "account_reauthenticate": (
        v(L, lambda w: "/accounts/reauthenticate/"),
        invalid(L, lambda w: "/accounts/reauthenticate/"),
    ),
    "account_email": (v(L, lambda w: "/accounts/email/"),),
    "account_email_verification_sent": (v(A, lambda w: "/accounts/confirm-email/"),),
    "account_change_password": (
        v(L, lambda w: "/accounts/password/change/"),
        invalid(L, lambda w: "/accounts/password/change/"),
    ),
    "account_reset_password": (
        v(A, lambda w: "/accounts/password/reset/"),
        invalid(A, lambda w: "/accounts/password/reset/"),
    ),
    "account_confirm_email": (v(A, lambda w: "/accounts/confirm-email/not-a-real-key/"),),
    "account_reset_password_from_key_done": (v(A, lambda w: "/accounts/password/reset/key/done/"),),
    "account_reset_password_from_key": (
        v(A, lambda w: "/accounts/password/reset/key/1-not-a-real-key/", status=400),
    ),
    "account_reset_password_done": (v(A, lambda w: "/accounts/password/reset/done/"),),
    # --- Two-step verification ---
    "mfa_index": (v(N, lambda w: "/accounts/2fa/"), v(MFA, lambda w: "/accounts/2fa/")),
    # Reached while signing in (password accepted, code asked): see SIGN_IN_VISITS.
    "mfa_authenticate": (
        v(MFA, lambda w: "/accounts/2fa/authenticate/", during_sign_in=True),
        invalid(MFA, lambda w: "/accounts/2fa/authenticate/", during_sign_in=True),
    ),
    "mfa_reauthenticate": (v(MFA, lambda w: "/accounts/2fa/reauthenticate/"),),
    "mfa_activate_totp": (
        v(N, lambda w: "/accounts/2fa/totp/activate/"),
        invalid(N, lambda w: "/accounts/2fa/totp/activate/"),
    ),
    "mfa_deactivate_totp": (v(MFA, lambda w: "/accounts/2fa/totp/deactivate/"),),
    "mfa_view_recovery_codes": (v(MFA, lambda w: "/accounts/2fa/recovery-codes/"),),
    "mfa_generate_recovery_codes": (v(MFA, lambda w: "/accounts/2fa/recovery-codes/generate/"),),
    # The MFA person registers a passkey (a virtual authenticator) after signing in.
    "mfa_list_webauthn": (v(MFA, lambda w: "/accounts/2fa/webauthn/"),),
    "mfa_edit_webauthn": (v(MFA, lambda w: f"/accounts/2fa/webauthn/keys/{w.webauthn_key}/edit/"),),
    "mfa_remove_webauthn": (
        v(MFA, lambda w: f"/accounts/2fa/webauthn/keys/{w.webauthn_key}/remove/"),
    ),
    "mfa_reauthenticate_webauthn": (v(MFA, lambda w: "/accounts/2fa/webauthn/reauthenticate/"),),
    "mfa_add_webauthn": (v(N, lambda w: "/accounts/2fa/webauthn/add/"),),
    # --- People, roles, tokens, invitations, security (syllabus.accounts) ---
    "accounts:people": (
        v(ADMIN, lambda w: "/account/people/"),
        v(SEC, lambda w: "/account/people/"),
    ),
    "accounts:person": (v(ADMIN, lambda w: f"/account/people/{w.learner_person}/"),),
    "accounts:roles": (v(ADMIN, lambda w: "/account/roles/"),),
    "accounts:role_new": (
        v(ADMIN, lambda w: "/account/roles/new/"),
        invalid(ADMIN, lambda w: "/account/roles/new/"),
    ),
    "accounts:role_edit": (v(ADMIN, lambda w: f"/account/roles/{w.role_slug}/"),),
    "accounts:tokens": (
        v(ADMIN, lambda w: "/account/tokens/"),
        empty(L, lambda w: "/account/tokens/"),
    ),
    "accounts:invitations": (v(ADMIN, lambda w: "/account/invitations/"),),
    # The link keeps the invitation in the session and opens the sign-up form.
    "accounts:invitation_accept": (
        v(A, lambda w: f"/account/invite/{w.invitation_token}/", lands_on="/accounts/signup/"),
        invalid(
            A, lambda w: f"/account/invite/{w.invitation_token}/", lands_on="/accounts/signup/"
        ),
    ),
    "accounts:lockouts": (v(SEC, lambda w: "/account/lockouts/"),),
    "accounts:profile": (v(L, lambda w: "/account/profile/"),),
    "accounts:security": (
        v(L, lambda w: "/account/security/"),
        v(MFA, lambda w: "/account/security/"),
    ),
    "accounts:sessions": (v(L, lambda w: "/account/sessions/"),),
    "accounts:code_method_setup": (v(L, lambda w: "/account/security/codes/email/"),),
    "accounts:mfa_code_reauthenticate": (v(L, lambda w: "/account/mfa/reauthenticate/"),),
    "accounts:mfa_reset": (v(ADMIN, lambda w: f"/account/users/{w.mfa_user_id}/mfa/reset/"),),
    # --- Catalog and authoring (syllabus.courses) ---
    "courses:catalog": (
        v(A, lambda w: "/courses/"),
        v(L, lambda w: "/courses/"),
        empty(A, lambda w: "/courses/?q=zzzzzz"),
    ),
    "courses:categories": (
        v(ADMIN, lambda w: "/courses/categories/"),
        invalid(ADMIN, lambda w: "/courses/categories/"),
    ),
    "courses:category_edit": (
        v(ADMIN, lambda w: f"/courses/categories/{w.category_slug}/edit/"),
        invalid(ADMIN, lambda w: f"/courses/categories/{w.category_slug}/edit/"),
    ),
    "courses:category_delete": (
        v(ADMIN, lambda w: f"/courses/categories/{w.category_slug}/delete/"),
    ),
    "courses:detail": (v(A, lambda w: f"{crs(w)}/"), v(L, lambda w: f"{crs(w)}/")),
    "courses:teach": (v(I, lambda w: "/courses/teach/"),),
    "courses:new": (
        v(ADMIN, lambda w: "/courses/teach/new/"),
        invalid(ADMIN, lambda w: "/courses/teach/new/"),
    ),
    "courses:edit": (v(I, lambda w: f"{crs(w)}/edit/"), invalid(I, lambda w: f"{crs(w)}/edit/")),
    "courses:copy": (v(I, lambda w: f"{crs(w)}/edit/copy/"),),
    "courses:delete": (v(I, lambda w: f"{ecrs(w)}/edit/delete/"),),
    "courses:outline": (
        v(I, lambda w: f"{crs(w)}/outline/"),
        empty(I, lambda w: f"{ecrs(w)}/outline/"),
    ),
    "courses:module_new": (
        v(I, lambda w: f"{crs(w)}/modules/new/"),
        invalid(I, lambda w: f"{crs(w)}/modules/new/"),
    ),
    "courses:module_edit": (
        v(I, lambda w: f"/courses/modules/{w.module_id}/edit/"),
        invalid(I, lambda w: f"/courses/modules/{w.module_id}/edit/"),
    ),
    "courses:module_delete": (v(I, lambda w: f"/courses/modules/{w.module_id}/delete/"),),
    "courses:lesson_new": (
        v(I, lambda w: f"/courses/modules/{w.module_id}/lessons/new/"),
        invalid(I, lambda w: f"/courses/modules/{w.module_id}/lessons/new/"),
    ),
    "courses:lesson_edit": (
        v(I, lambda w: f"/courses/lessons/{w.text_lesson}/edit/"),
        v(I, lambda w: f"/courses/lessons/{w.video_lesson}/edit/"),
        v(I, lambda w: f"/courses/lessons/{w.file_lesson}/edit/"),
        v(I, lambda w: f"/courses/lessons/{w.quiz_lesson}/edit/"),
        v(I, lambda w: f"/courses/lessons/{w.assignment_lesson}/edit/"),
        invalid(I, lambda w: f"/courses/lessons/{w.text_lesson}/edit/", form="form.teach-form"),
    ),
    "courses:lesson_delete": (v(I, lambda w: f"/courses/lessons/{w.text_lesson}/delete/"),),
    "courses:lesson_preview": (
        v(I, lambda w: f"/courses/lessons/{w.text_lesson}/preview/"),
        v(I, lambda w: f"/courses/lessons/{w.video_lesson}/preview/"),
    ),
    "courses:enrol": (v(N, lambda w: f"{crs(w)}/enrol/"),),
    "courses:enrol_leave": (v(L, lambda w: f"{crs(w)}/leave/"),),
    "courses:people": (
        v(I, lambda w: f"{crs(w)}/people/"),
        empty(I, lambda w: f"{ecrs(w)}/people/"),
        v(MGR, lambda w: f"{crs(w)}/people/"),
    ),
    "courses:people_add": (
        v(I, lambda w: f"{crs(w)}/people/add/"),
        invalid(I, lambda w: f"{crs(w)}/people/add/"),
    ),
    "courses:people_import": (v(I, lambda w: f"{crs(w)}/people/import/"),),
    "courses:people_import_preview": (
        v(I, lambda w: f"{crs(w)}/people/import/{w.enrolment_import}/"),
    ),
    "courses:people_member": (v(I, lambda w: f"{crs(w)}/people/{w.learner_id}/"),),
    "courses:people_remove": (v(I, lambda w: f"{crs(w)}/people/{w.learner_id}/remove/"),),
    "courses:cohorts": (
        v(I, lambda w: f"{crs(w)}/cohorts/"),
        empty(I, lambda w: f"{ecrs(w)}/cohorts/"),
    ),
    "courses:cohort_edit": (
        v(I, lambda w: f"{crs(w)}/cohorts/{w.cohort}/"),
        invalid(I, lambda w: f"{crs(w)}/cohorts/{w.cohort}/"),
    ),
    "courses:cohort_delete": (v(I, lambda w: f"{crs(w)}/cohorts/{w.cohort}/delete/"),),
    "courses:announcements": (
        v(L, lambda w: f"{crs(w)}/announcements/"),
        empty(I, lambda w: f"{ecrs(w)}/announcements/"),
    ),
    "courses:announcement_new": (
        v(I, lambda w: f"{crs(w)}/announcements/new/"),
        invalid(I, lambda w: f"{crs(w)}/announcements/new/"),
    ),
    "courses:announcement": (v(L, lambda w: f"{crs(w)}/announcements/{w.announcement}/"),),
    "courses:announcement_edit": (
        v(I, lambda w: f"{crs(w)}/announcements/{w.announcement}/edit/"),
        invalid(I, lambda w: f"{crs(w)}/announcements/{w.announcement}/edit/"),
    ),
    "courses:announcement_delete": (
        v(I, lambda w: f"{crs(w)}/announcements/{w.announcement}/delete/"),
    ),
    # --- Learning ---
    "learning:dashboard": (
        v(L, lambda w: "/dashboard/"),
        empty(N, lambda w: "/dashboard/"),
        v(I, lambda w: "/dashboard/"),
        v(ADMIN, lambda w: "/dashboard/"),
    ),
    # The course's home resumes where the learner left off: a lesson page.
    "learning:course_home": (v(L, lambda w: f"/learn/course/{w.course_id}/", lands_on="/learn/"),),
    "learning:roster": (
        v(I, lambda w: f"/learn/course/{w.course_id}/roster/"),
        v(TA, lambda w: f"/learn/course/{w.course_id}/roster/"),
        v(MGR, lambda w: f"/learn/course/{w.course_id}/roster/"),
    ),
    "learning:lesson": (
        v(L, lambda w: f"/learn/{w.text_lesson}/"),
        v(L, lambda w: f"/learn/{w.video_lesson}/"),
        v(L, lambda w: f"/learn/{w.file_lesson}/"),
        v(L, lambda w: f"/learn/{w.quiz_lesson}/"),
        v(L, lambda w: f"/learn/{w.assignment_lesson}/"),
    ),
    # --- Notifications ---
    "communication:list": (
        v(L, lambda w: "/notifications/"),
        empty(N, lambda w: "/notifications/"),
        v(I, lambda w: "/notifications/"),
    ),
    "communication:preferences": (v(L, lambda w: "/notifications/preferences/"),),
    # --- Quizzes ---
    "assessments:quiz_home": (
        v(L, lambda w: f"/quizzes/quiz/{w.quiz}/"),
        v(I, lambda w: f"/quizzes/quiz/{w.quiz}/"),
    ),
    "assessments:quiz_attempt_list": (
        v(I, lambda w: f"/quizzes/quiz/{w.quiz}/attempts/"),
        empty(I, lambda w: f"/quizzes/quiz/{w.empty_quiz}/attempts/"),
        v(TA, lambda w: f"/quizzes/quiz/{w.quiz}/attempts/"),
    ),
    "assessments:attempt_take": (v(L, lambda w: f"/quizzes/attempt/{w.attempt_open}/"),),
    "assessments:attempt_result": (v(L, lambda w: f"/quizzes/attempt/{w.attempt_done}/result/"),),
    "assessments:attempt_review": (v(I, lambda w: f"/quizzes/attempt/{w.attempt_done}/review/"),),
    "assessments:bank_list": (
        v(I, lambda w: f"/quizzes/teach/courses/{w.course_id}/banks/"),
        invalid(I, lambda w: f"/quizzes/teach/courses/{w.course_id}/banks/"),
    ),
    "assessments:bank_detail": (
        v(I, lambda w: f"/quizzes/teach/banks/{w.bank}/"),
        empty(I, lambda w: f"/quizzes/teach/banks/{w.empty_bank}/"),
    ),
    "assessments:bank_edit": (
        v(I, lambda w: f"/quizzes/teach/banks/{w.bank}/edit/"),
        invalid(I, lambda w: f"/quizzes/teach/banks/{w.bank}/edit/"),
    ),
    "assessments:bank_delete": (v(I, lambda w: f"/quizzes/teach/banks/{w.empty_bank}/delete/"),),
    "assessments:question_new": (
        *(v(I, _question_new(kind)) for kind in QUESTION_KINDS),
        invalid(I, _question_new("single")),
    ),
    "assessments:question_edit": (
        v(I, lambda w: f"/quizzes/teach/questions/{w.question}/"),
        invalid(I, lambda w: f"/quizzes/teach/questions/{w.question}/"),
    ),
    "assessments:question_preview": (
        v(I, lambda w: f"/quizzes/teach/questions/{w.question}/preview/"),
    ),
    "assessments:question_delete": (
        v(I, lambda w: f"/quizzes/teach/questions/{w.question}/delete/"),
    ),
    "assessments:quiz_settings": (
        v(I, lambda w: f"/quizzes/teach/lessons/{w.quiz_lesson}/settings/"),
        invalid(I, lambda w: f"/quizzes/teach/lessons/{w.quiz_lesson}/settings/"),
    ),
    "assessments:quiz_questions": (
        v(I, lambda w: f"/quizzes/teach/lessons/{w.quiz_lesson}/questions/"),
        empty(I, lambda w: f"/quizzes/teach/lessons/{w.empty_lesson}/questions/"),
    ),
    "assessments:accommodations": (
        v(I, lambda w: f"/quizzes/teach/lessons/{w.quiz_lesson}/accommodations/"),
    ),
    # --- Assignments ---
    "assignments:edit": (
        v(I, lambda w: f"/assignments/lesson/{w.assignment_lesson}/settings/"),
        invalid(I, lambda w: f"/assignments/lesson/{w.assignment_lesson}/settings/"),
    ),
    "assignments:submit": (v(L, lambda w: f"/assignments/lesson/{w.assignment_lesson}/submit/"),),
    "assignments:submissions": (
        v(I, lambda w: f"/assignments/lesson/{w.assignment_lesson}/submissions/"),
        v(TA, lambda w: f"/assignments/lesson/{w.assignment_lesson}/submissions/"),
    ),
    "assignments:extensions": (
        v(I, lambda w: f"/assignments/lesson/{w.assignment_lesson}/extensions/"),
    ),
    "assignments:queue": (
        v(I, lambda w: f"/assignments/course/{w.course_id}/queue/"),
        v(TA, lambda w: f"/assignments/course/{w.course_id}/queue/"),
        empty(I, lambda w: f"/assignments/course/{w.empty_course_id}/queue/"),
    ),
    "assignments:grade": (
        v(I, lambda w: f"/assignments/submission/{w.submission}/"),
        v(TA, lambda w: f"/assignments/submission/{w.submission}/"),
    ),
    # --- Grades ---
    "grades:mine": (v(L, lambda w: "/grades/"), empty(N, lambda w: "/grades/")),
    "grades:mine_course": (v(L, lambda w: f"/grades/course/{w.course_id}/"),),
    "grades:gradebook": (
        v(I, lambda w: f"/grades/course/{w.course_id}/gradebook/"),
        v(TA, lambda w: f"/grades/course/{w.course_id}/gradebook/"),
        empty(I, lambda w: f"/grades/course/{w.empty_course_id}/gradebook/"),
        v(MGR, lambda w: f"/grades/course/{w.course_id}/gradebook/"),
        v(AUD, lambda w: f"/grades/course/{w.course_id}/gradebook/"),
    ),
    "grades:import": (v(I, lambda w: f"/grades/course/{w.course_id}/gradebook/import/"),),
    "grades:setup": (v(I, lambda w: f"/grades/course/{w.course_id}/setup/"),),
    "grades:item_new": (
        v(I, lambda w: f"/grades/course/{w.course_id}/setup/items/new/"),
        invalid(I, lambda w: f"/grades/course/{w.course_id}/setup/items/new/"),
    ),
    "grades:category_edit": (
        v(I, lambda w: f"/grades/category/{w.grade_category}/"),
        invalid(I, lambda w: f"/grades/category/{w.grade_category}/"),
    ),
    "grades:category_delete": (v(I, lambda w: f"/grades/category/{w.grade_category}/delete/"),),
    "grades:item_edit": (
        v(I, lambda w: f"/grades/item/{w.grade_item}/"),
        invalid(I, lambda w: f"/grades/item/{w.grade_item}/"),
    ),
    "grades:item_delete": (v(I, lambda w: f"/grades/item/{w.grade_item}/delete/"),),
    "grades:cell": (v(I, lambda w: f"/grades/item/{w.grade_item}/learner/{w.learner_id}/"),),
    "grades:override": (
        v(I, lambda w: f"/grades/item/{w.grade_item}/learner/{w.learner_id}/override/"),
    ),
    # --- Certificates ---
    "certificates:mine": (v(L, lambda w: "/certificates/"), empty(N, lambda w: "/certificates/")),
    "certificates:verify_form": (
        v(A, lambda w: "/certificates/verify/"),
        invalid(A, lambda w: "/certificates/verify/", form="main form"),
    ),
    "certificates:verify": (
        v(A, lambda w: f"/certificates/verify/{w.certificate_code}/"),
        v(A, lambda w: "/certificates/verify/AAAA-BBBB-CCCC-DDDD/", status=404),
    ),
    "certificates:course_list": (v(I, lambda w: f"/certificates/course/{w.course_id}/"),),
    "certificates:course_settings": (
        v(I, lambda w: f"/certificates/course/{w.course_id}/settings/"),
    ),
    "certificates:revoke": (v(ADMIN, lambda w: f"/certificates/{w.certificate}/revoke/"),),
    "certificates:reissue": (v(ADMIN, lambda w: f"/certificates/{w.certificate}/reissue/"),),
    # --- Privacy ---
    "privacy:home": (v(L, lambda w: "/privacy/"), v(N, lambda w: "/privacy/")),
    "privacy:consent": (v(L, lambda w: "/privacy/consent/"),),
    "privacy:policy": (
        v(A, lambda w: "/privacy/policy/privacy/"),
        v(A, lambda w: "/privacy/policy/terms/"),
    ),
    "privacy:requests": (
        v(COMP, lambda w: "/privacy/requests/"),
        v(ADMIN, lambda w: "/privacy/requests/"),
    ),
    "privacy:review": (v(COMP, lambda w: f"/privacy/requests/{w.data_request}/"),),
    "privacy:policies": (
        v(COMP, lambda w: "/privacy/policies/"),
        invalid(COMP, lambda w: "/privacy/policies/"),
    ),
    "privacy:retention": (v(COMP, lambda w: "/privacy/retention/"),),
    # --- Backups, access reviews, compliance, operations ---
    "backups:list": (v(ADMIN, lambda w: "/backups/"),),
    "reviews:campaigns": (
        v(COMP, lambda w: "/access-reviews/"),
        v(MGR, lambda w: "/access-reviews/"),
    ),
    "reviews:mine": (
        v(ADMIN, lambda w: "/access-reviews/mine/"),
        empty(MGR, lambda w: "/access-reviews/mine/"),
    ),
    "reviews:campaign": (
        v(COMP, lambda w: f"/access-reviews/{w.campaign}/"),
        v(MGR, lambda w: f"/access-reviews/{w.campaign}/"),
    ),
    "compliance:overview": (
        v(COMP, lambda w: "/compliance/"),
        v(AUD, lambda w: "/compliance/"),
        v(ADMIN, lambda w: "/compliance/"),
    ),
    "ops:dashboard": (v(ADMIN, lambda w: "/ops/"), v(SEC, lambda w: "/ops/")),
    "ops:audit_log": (
        v(SEC, lambda w: "/ops/audit/"),
        v(AUD, lambda w: "/ops/audit/"),
        v(ADMIN, lambda w: "/ops/audit/"),
    ),
    "ops:exports": (v(ADMIN, lambda w: "/ops/exports/"),),
    "ops:manage": (v(ADMIN, lambda w: "/ops/manage/"),),
}

# Error pages have no route: each is reached by asking for something that fails.
ERROR_PAGES: dict[str, tuple[Visit, ...]] = {
    "error:404": (
        v(A, lambda w: "/no-such-page/", status=404),
        v(L, lambda w: "/no-such-page/", status=404),
    ),
    "error:403": (v(L, lambda w: "/ops/", status=403),),
    # tests/e2e/error_urls.py adds a view that fails, for the 500 page.
    "error:500": (v(A, lambda w: "/route-check/server-error/", status=500),),
    "error:400": (v(A, lambda w: "/accounts/password/reset/key/1-broken/", status=400),),
}

_FILE = "a file download, not a page"
_POST = "a POST-only action: its form is on the page that links to it"
_JSON = "JSON for the page's own scripts, not a page"
_REDIRECT = "answers with a redirect to a page checked elsewhere"
_HTMX = "an htmx fragment inside a page checked elsewhere"

EXCLUDED: dict[str, str] = {
    # Operations endpoints for machines.
    "health": "JSON health check for load balancers",
    "health_live": "JSON liveness probe",
    "health_ready": "JSON readiness probe",
    "metrics": "Prometheus text for the scraper",
    # Files.
    "signed_media": _FILE + " (uploaded media behind a signed, expiring link)",
    "courses:image": _FILE,
    "courses:lesson_media": _FILE,
    "learning:lesson_media": _FILE,
    "learning:roster_export": _FILE,
    "assignments:file": _FILE,
    "grades:export": _FILE,
    "certificates:download": _FILE,
    "privacy:download": _FILE,
    "reviews:report": _FILE,
    "compliance:download": _FILE,
    "ops:audit_export": _FILE,
    "mfa_download_recovery_codes": _FILE,
    # POST-only actions.
    "courses:publish": _POST,
    "courses:unpublish": _POST,
    "courses:archive": _POST,
    "courses:module_order": _POST,
    "courses:module_move": _POST,
    "courses:module_publish": _POST,
    "courses:lesson_order": _POST,
    "courses:lesson_move": _POST,
    "courses:lesson_publish": _POST,
    "courses:lesson_media_remove": _POST,
    "courses:people_cohort": _POST + " (the people page's bulk action)",
    "courses:lesson_upload": _POST + " (the lesson's edit page)",
    "courses:waitlist_join": _POST,
    "courses:waitlist_leave": _POST,
    "courses:people_waitlist_remove": _POST,
    "accounts:person_grant": _POST,
    "accounts:person_revoke": _POST,
    "accounts:token_revoke": _POST,
    "accounts:invitation_revoke": _POST,
    "accounts:lockout_clear": _POST,
    "accounts:session_revoke": _POST,
    "accounts:sessions_revoke_others": _POST,
    "accounts:session_keepalive": _POST,
    "accounts:code_method_remove": _POST,
    "accounts:mfa_code_send": _POST,
    "learning:directory": _POST,
    "learning:lesson_complete": _POST,
    "communication:mark_all_read": _POST,
    "communication:mark_read": _POST,
    "assessments:quiz_start": _POST,
    "assessments:attempt_save": _POST,
    "assessments:attempt_submit": _POST,
    "assessments:attempt_grade": _POST,
    "assessments:slot_add": _POST,
    "assessments:slot_remove": _POST,
    "assessments:slot_move": _POST,
    "assignments:extension_remove": _POST,
    "grades:import_apply": _POST,
    "privacy:export_request": _POST,
    "backups:run": _POST,
    "backups:verify": _POST,
    "reviews:apply": _POST,
    "reviews:remind": _POST,
    "reviews:sign_off": _POST,
    "reviews:decide": _POST,
    "privacy:request_for": _POST,
    "privacy:erasure_request": _POST,
    "grades:category_new": _POST,
    "grades:scale": _POST,
    "assessments:accommodation_remove": _POST,
    "assessments:accommodation_set": _POST,
    "assessments:question_regrade": _POST,
    # JSON and redirects.
    "accounts:session_status": _JSON,
    "accounts:index": _REDIRECT + " (to the profile)",
    "communication:open": _REDIRECT + " (marks the notification read, then its target)",
    "account_set_password": _REDIRECT + " (only for accounts without a password)",
    "account_confirm_login_code": _REDIRECT
    + " (signing in by emailed code is off: ACCOUNT_LOGIN_BY_CODE_ENABLED is not set)",
    "account_request_reauthentication_code": "allauth answers 404: confirming who you are "
    "by emailed code is off (it needs ACCOUNT_LOGIN_BY_CODE_ENABLED)",
    "account_confirm_reauthentication_code": "allauth answers 404: confirming who you are "
    "by emailed code is off (it needs ACCOUNT_LOGIN_BY_CODE_ENABLED)",
    "set_language": _POST + " (Django's set_language, behind the language chooser)",
    "accounts:language": _POST + " (the language chooser in the page footer)",
    "mfa_login_webauthn": "JSON for the passkey sign-in script of the sign-in page",
}


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or str(pattern.pattern)
            yield (f"{namespace}:{name}" if namespace else name), prefix + str(pattern.pattern)


def url_patterns() -> dict[str, str]:
    """Every URL pattern of the site: route key (``namespace:name``) -> its pattern."""
    return dict(_walk(get_resolver(), "", ""))


# Whole areas that are not our web UI, by the start of the route key.
EXCLUDED_PREFIXES: dict[str, str] = {
    "api-v1:": "the JSON API (django-ninja): its schema is tested in tests/test_openapi_schema.py",
    "admin:": "Django's own admin and templates: axe finds WCAG violations there (24px targets "
    "on the change lists, an unlabelled select on the user form, links told apart by colour "
    "alone); a known exception in docs/accessibility.md, every task has a page of ours",
}


def excluded_reason(key: str) -> str | None:
    if key in EXCLUDED:
        return EXCLUDED[key]
    for prefix, reason in EXCLUDED_PREFIXES.items():
        if key.startswith(prefix):
            return reason
    return None
