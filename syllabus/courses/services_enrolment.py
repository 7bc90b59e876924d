"""Enrolment: self-enrolment (open or with a key), the waiting list, leaving, staff
enrolment, end dates, cohorts and bulk CSV imports.

Every write runs in one transaction with its audit event. Whenever the number of places
left can change, the course row is locked first (``select_for_update``; on SQLite the
write transaction itself serialises writers), so two people can never take the last
place, and the waiting list is promoted in the same transaction.

For readers (helper code in learning, dashboards, rosters):

- ``active_learner_q()`` is the filter on ``CourseMembership`` for learners whose access
  has not ended (``ends_at`` empty or in the future). The daily job
  ``courses.tasks.enrolments_expire_task`` removes expired learners, but until it runs an
  expired learner must already be treated as not enrolled: always use this filter (or
  ``is_active_learner`` / ``is_active_member``) rather than "has a membership".
- End dates apply to learners only: staff roles have no end date.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.accounts.models import Role, User
from syllabus.accounts.roles import COURSE
from syllabus.audit.services import record
from syllabus.core.email import email_queue, in_language_of
from syllabus.core.ratelimit import limiter
from syllabus.courses import csv_import
from syllabus.courses.cache import course_changed, invalidate_course
from syllabus.courses.models import (
    Cohort,
    Course,
    CourseMembership,
    EnrolmentImport,
    WaitlistEntry,
)
from syllabus.courses.permissions import (
    can_grant_course_role,
    forget_course_permissions,
    has_course_perm,
)
from syllabus.courses.prerequisites import missing_prerequisites
from syllabus.courses.role_names import role_name
from syllabus.courses.services import _role_set, course_role_remove, course_role_set

log = structlog.get_logger(__name__)

LEARNER = "learner"
KEY_RATE_BUCKET = "enrol-key"


class EnrolmentError(ValidationError):
    """A refused enrolment action. ``code`` is the API error code, ``status`` its HTTP
    status; ``extra`` carries machine-readable facts (missing courses, retry delay)."""

    def __init__(self, message: str, code: str, status: int = 409, **extra: Any) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.extra = extra


# --- Reading the state of an enrolment ------------------------------------------------------


def active_learner_q(*, now: datetime | None = None, prefix: str = "") -> Q:
    """``CourseMembership`` filter: learners whose access has not ended.

    ``prefix`` lets other models filter through a relation, e.g.
    ``User.objects.filter(active_learner_q(prefix="course_memberships__"))``.
    """
    now = now or timezone.now()
    return Q(**{f"{prefix}role__slug": LEARNER}) & (
        Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now})
    )


def active_membership_q(*, now: datetime | None = None, prefix: str = "") -> Q:
    """``CourseMembership`` filter: every membership except learners past their end date."""
    now = now or timezone.now()
    return ~Q(**{f"{prefix}role__slug": LEARNER}) | active_learner_q(now=now, prefix=prefix)


def is_active_learner(user: Any, course: Course, *, now: datetime | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return CourseMembership.objects.filter(
        active_learner_q(now=now), course=course, user=user
    ).exists()


def is_active_member(user: Any, course: Course, *, now: datetime | None = None) -> bool:
    """Any role in the course, learners only while their end date has not passed."""
    if not getattr(user, "is_authenticated", False):
        return False
    return CourseMembership.objects.filter(
        active_membership_q(now=now), course=course, user=user
    ).exists()


def learner_count(course: Course, *, now: datetime | None = None) -> int:
    return CourseMembership.objects.filter(active_learner_q(now=now), course=course).count()


def places_left(course: Course, *, now: datetime | None = None) -> int | None:
    """Free places for learners, or None when the course has no capacity limit."""
    if course.capacity is None:
        return None
    return max(course.capacity - learner_count(course, now=now), 0)


def waitlist_position(user: Any, course: Course) -> int | None:
    """1 for the first in line; None when not waiting."""
    if not getattr(user, "is_authenticated", False):
        return None
    entry = WaitlistEntry.objects.filter(course=course, user=user).first()
    if entry is None:
        return None
    ahead = WaitlistEntry.objects.filter(course=course).filter(
        Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk)
    )
    return ahead.count() + 1


def end_of_day(day: date) -> datetime:
    """An end date as staff type it: access lasts until the end of that day (local time)."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def default_ends_at(course: Course, *, now: datetime | None = None) -> datetime | None:
    if not course.default_enrolment_days:
        return None
    now = now or timezone.now()
    return end_of_day(
        timezone.localtime(now).date() + timedelta(days=course.default_enrolment_days)
    )


@dataclass
class EnrolState:
    """What the enrol panel and the API tell one person about one course."""

    status: str  # anonymous, member, waitlisted, open, key, full, manual, closed, prerequisites
    role: str = ""
    role_name: str = ""
    ends_at: datetime | None = None
    places_left: int | None = None
    position: int | None = None
    message: str = ""
    missing: list[Course] = field(default_factory=list)
    can_leave: bool = False


def enrolment_state(user: Any, course: Course, *, now: datetime | None = None) -> EnrolState:
    now = now or timezone.now()
    left = places_left(course, now=now)
    if not getattr(user, "is_authenticated", False):
        return EnrolState("anonymous", places_left=left)
    membership = (
        CourseMembership.objects.filter(course=course, user=user).select_related("role").first()
    )
    if membership is not None and not (
        membership.role.slug == LEARNER and membership.ends_at and membership.ends_at <= now
    ):
        return EnrolState(
            "member",
            role=membership.role.slug,
            role_name=role_name(membership.role),
            ends_at=membership.ends_at,
            places_left=left,
            can_leave=membership.role.slug == LEARNER,
        )
    position = waitlist_position(user, course)
    if position is not None:
        return EnrolState("waitlisted", places_left=left, position=position)
    closed = _closed_reason(course, now)
    if closed:
        status = "manual" if course.enrolment == Course.Enrolment.MANUAL else "closed"
        return EnrolState(status, places_left=left, message=closed)
    missing = missing_prerequisites(user, course)
    if missing:
        return EnrolState(
            "prerequisites", places_left=left, missing=missing, message=_missing_message(missing)
        )
    if left == 0:
        return EnrolState("full", places_left=0)
    status = "key" if course.enrolment == Course.Enrolment.KEY else "open"
    return EnrolState(status, places_left=left)


def _closed_reason(course: Course, now: datetime) -> str:
    if course.status != Course.Status.PUBLISHED:
        return _("This course is not open for enrolment.")
    if course.enrolment == Course.Enrolment.MANUAL:
        return _("Instructors and managers enrol people in this course: ask them for a place.")
    if course.available_from and now < course.available_from:
        local = timezone.localtime(course.available_from)
        return _("Enrolment opens on %(when)s.") % {"when": date_format(local, "DATETIME_FORMAT")}
    if course.available_until and now >= course.available_until:
        return _("This course has ended: enrolment is closed.")
    return ""


def _missing_message(missing: list[Course]) -> str:
    names = ", ".join(f"“{c.title}”" for c in missing)
    return _("Complete %(names)s before enrolling in this course.") % {"names": names}


# --- Self-service ---------------------------------------------------------------------------


def _lock(course: Course) -> Course:
    """Lock the course row: capacity checks and waiting-list changes queue up behind it."""
    return Course.objects.select_for_update().get(pk=course.pk)


def _learner_role() -> Role:
    return Role.objects.get(slug=LEARNER, scope=COURSE)


def _existing(course: Course, user: User) -> CourseMembership | None:
    return (
        CourseMembership.objects.select_for_update(of=("self",))
        .filter(course=course, user=user)
        .select_related("role")
        .first()
    )


def _is_expired(membership: CourseMembership, now: datetime) -> bool:
    return bool(
        membership.role.slug == LEARNER and membership.ends_at and membership.ends_at <= now
    )


def _check_key(user: User, course: Course, key: str | None) -> None:
    """Enrolment keys are compared in constant time, and each person gets a few tries a
    minute (SYLLABUS_RATE_LIMIT_AUTH) so a key cannot be guessed."""
    if course.enrolment != Course.Enrolment.KEY:
        return
    if not key:
        raise EnrolmentError(_("This course needs an enrolment key."), "key_required", 400)
    if settings.RATE_LIMIT_ENABLED:
        decision = limiter().hit(settings.RATE_LIMIT_AUTH, KEY_RATE_BUCKET, str(user.pk))
        if not decision.allowed:
            wait = max(decision.reset, 1)
            raise EnrolmentError(
                _("Too many enrolment key attempts. Try again in %(wait)s seconds.")
                % {"wait": wait},
                "rate_limited",
                429,
                retry_after=wait,
            )
    expected = course.enrolment_key.strip().encode()
    if not expected or not hmac.compare_digest(key.strip().encode(), expected):
        raise EnrolmentError(
            _("That enrolment key is not right. Check it with your instructor."), "wrong_key", 400
        )


def _check_can_join(user: User, course: Course, key: str | None, now: datetime) -> None:
    closed = _closed_reason(course, now)
    if closed:
        raise EnrolmentError(closed, "enrolment_closed", 403)
    _check_key(user, course, key)
    missing = missing_prerequisites(user, course)
    if missing:
        raise EnrolmentError(
            _missing_message(missing),
            "prerequisites_missing",
            409,
            missing=[{"public_id": c.public_id, "title": c.title} for c in missing],
        )


def _check_not_member(course: Course, user: User, now: datetime) -> None:
    """Refuse current members; an expired learner's old enrolment is ended first."""
    membership = _existing(course, user)
    if membership is None:
        return
    if _is_expired(membership, now):
        _end(membership, actor=None, action="enrolment.expired", promote=False)
        return
    raise EnrolmentError(
        _("You are already %(name)s in this course.")
        % {"name": role_name(membership.role).lower()},
        "already_enrolled",
    )


def _full(course: Course, now: datetime) -> bool:
    return course.capacity is not None and learner_count(course, now=now) >= course.capacity


def enrol_self(
    *, user: User, course: Course, key: str | None = None, base_url: str | None = None
) -> CourseMembership:
    """Enrol ``user`` as a learner on an open (or key) course they can see."""
    if course.capacity is not None:
        # People already waiting come first: a place freed without promotion (through
        # the members API, say) goes to them, not to whoever asks next. Its own
        # transaction, so a refusal below does not undo their places.
        for promoted in waitlist_promote(course=course, base_url=base_url):
            if promoted.user_id == user.pk:
                return promoted
    return _enrol_self(user=user, course=course, key=key)


@transaction.atomic
def _enrol_self(*, user: User, course: Course, key: str | None) -> CourseMembership:
    now = timezone.now()
    course = _lock(course)
    _check_not_member(course, user, now)
    _check_can_join(user, course, key, now)
    if _full(course, now):
        raise EnrolmentError(
            _("This course is full. Join the waiting list to get the next free place."),
            "course_full",
            waitlist=True,
        )
    source = (
        CourseMembership.Source.KEY
        if course.enrolment == Course.Enrolment.KEY
        else CourseMembership.Source.SELF
    )
    membership = _create_learner(actor=user, course=course, user=user, source=source, now=now)
    WaitlistEntry.objects.filter(course=course, user=user).delete()
    invalidate_course(course.pk)
    return membership


def _create_learner(
    *,
    actor: User | None,
    course: Course,
    user: User,
    source: str,
    now: datetime,
    role: Role | None = None,
    cohort: Cohort | None = None,
    ends_at: datetime | None = None,
) -> CourseMembership:
    role = role or _learner_role()
    membership = _role_set(actor=actor, course=course, user=user, role=role)
    if role.slug == LEARNER and ends_at is None:
        ends_at = default_ends_at(course, now=now)
    membership.source = source
    membership.cohort = cohort
    membership.ends_at = ends_at if role.slug == LEARNER else None
    membership.save(update_fields=["source", "cohort", "ends_at", "updated_at"])
    return membership


@transaction.atomic
def leave_course(*, user: User, course: Course, base_url: str | None = None) -> None:
    """A learner leaves; the first person on the waiting list takes the place."""
    course = _lock(course)
    membership = _existing(course, user)
    if membership is None or _is_expired(membership, timezone.now()):
        raise EnrolmentError(_("You are not enrolled in this course."), "not_enrolled", 404)
    if membership.role.slug != LEARNER:
        raise EnrolmentError(
            _("Teachers cannot leave a course themselves: ask another instructor or a manager."),
            "not_a_learner",
        )
    _end(membership, actor=user, action="enrolment.removed", promote=False, reason="left")
    waitlist_promote(course=course, base_url=base_url)


def _end(
    membership: CourseMembership,
    *,
    actor: Any,
    action: str,
    promote: bool,
    reason: str = "",
    invalidate: bool = True,
) -> None:
    """Delete one membership with its audit event (self-leave, expiry)."""
    course, user, slug = membership.course, membership.user, membership.role.slug
    membership.delete()
    details: dict[str, Any] = {"course": course.public_id, "role": slug}
    if reason:
        details["reason"] = reason
    if membership.ends_at:
        details["ends_at"] = membership.ends_at.isoformat()
    record(actor=actor, action=action, target=user, details=details)
    forget_course_permissions(user)
    if invalidate:
        invalidate_course(course.pk)
    if promote:
        waitlist_promote(course=course)


@transaction.atomic
def waitlist_join(*, user: User, course: Course, key: str | None = None) -> WaitlistEntry:
    """Queue for a place in a full course (with the key on key courses)."""
    now = timezone.now()
    course = _lock(course)
    _check_not_member(course, user, now)
    if WaitlistEntry.objects.filter(course=course, user=user).exists():
        raise EnrolmentError(_("You are already on the waiting list."), "already_waitlisted")
    _check_can_join(user, course, key, now)
    if not _full(course, now):
        raise EnrolmentError(
            _("There are places left in this course: enrol instead."), "places_available"
        )
    entry = WaitlistEntry.objects.create(course=course, user=user)
    record(
        actor=user,
        action="enrolment.waitlisted",
        target=user,
        details={"course": course.public_id},
    )
    return entry


@transaction.atomic
def waitlist_leave(*, user: User, course: Course, actor: User | None = None) -> None:
    """Leave the waiting list (``actor`` staff: take someone off it)."""
    actor = actor or user
    if actor.pk != user.pk:
        _require_manage(actor, course)
    course = _lock(course)  # never while the list is being promoted
    deleted, _count = WaitlistEntry.objects.filter(course=course, user=user).delete()
    if not deleted:
        raise EnrolmentError(_("Not on the waiting list of this course."), "not_waitlisted", 404)
    record(
        actor=actor,
        action="enrolment.waitlist_left",
        target=user,
        details={"course": course.public_id},
    )


def waitlist_promote(
    *, course: Course, actor: Any = None, base_url: str | None = None
) -> list[CourseMembership]:
    """Give free places to the people first in line (source "waitlist", audited, emailed).

    Call inside the transaction that freed places (a learner left, an enrolment ended,
    capacity grew); it locks the course row itself when called alone.
    """
    with transaction.atomic():
        course = _lock(course)
        now = timezone.now()
        promoted: list[CourseMembership] = []
        entries = WaitlistEntry.objects.filter(course=course).select_related("user")
        for entry in entries.iterator():
            if _full(course, now):
                break
            user = entry.user
            entry.delete()
            existing = _existing(course, user)
            if existing is not None and not _is_expired(existing, now):
                continue  # already has a place (staff added them meanwhile)
            if existing is not None:
                _end(existing, actor=None, action="enrolment.expired", promote=False)
            if not user.is_active:
                continue
            membership = _create_learner(
                actor=actor,
                course=course,
                user=user,
                source=CourseMembership.Source.WAITLIST,
                now=now,
            )
            promoted.append(membership)
            _notify_promoted(membership, base_url)
        if promoted:
            invalidate_course(course.pk)
        return promoted


def _promote_after_change(sender: Any, course_id: int, **kwargs: Any) -> None:
    """After any committed change to a course (capacity raised in its settings, someone
    removed through another path), free places go to the waiting list."""
    if not WaitlistEntry.objects.filter(course_id=course_id).exists():
        return
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return
    try:
        waitlist_promote(course=course)
    except Exception:  # the change itself is committed: never fail its request
        log.exception("enrolment.waitlist_promote_failed", course=course.public_id)


def connect_signals() -> None:
    """Called from ``CoursesConfig.ready``."""
    course_changed.connect(_promote_after_change, dispatch_uid="enrolment.waitlist_promote")


def _notify_promoted(membership: CourseMembership, base_url: str | None) -> None:
    course = membership.course
    link = ""
    if base_url:
        try:
            link = base_url.rstrip("/") + reverse("courses:detail", args=[course.public_id])
        except NoReverseMatch:
            link = ""
    context = {
        "course": course,
        "user": membership.user,
        "link": link,
        "site_name": settings.SITE_NAME,
        "ends_at": membership.ends_at,
    }
    # In the learner's language: the promotion runs in someone else's request (the person
    # who left), whose language says nothing about the reader's.
    with in_language_of(membership.user):
        subject = _("[%(site)s] You have a place in %(title)s") % {
            "site": settings.SITE_NAME,
            "title": course.title,
        }
        body = render_to_string("courses/enrol_email_promoted.txt", context)
    email_queue(subject=subject, body=body, to=[membership.user.email])


# --- Staff ----------------------------------------------------------------------------------


def _require_manage(actor: Any, course: Course) -> None:
    if actor is not None and not has_course_perm(actor, course, "enrolment.manage"):
        raise PermissionDenied(_("Enrolling people needs the enrolment.manage permission."))


def _course_role(slug: str) -> Role:
    role = Role.objects.filter(slug=slug.strip().lower(), scope=COURSE).first()
    if role is None:
        names = ", ".join(Role.objects.filter(scope=COURSE).values_list("slug", flat=True))
        raise EnrolmentError(
            _("Unknown course role %(slug)s: use %(names)s.")
            % {"slug": repr(slug), "names": names},
            "unknown_role",
            422,
        )
    return role


def _check_ends_at(role: Role, ends_at: datetime | None, now: datetime) -> None:
    if ends_at is None:
        return
    if role.slug != LEARNER:
        raise EnrolmentError(_("End dates apply to learners only."), "invalid", 422)
    if ends_at <= now:
        raise EnrolmentError(_("The end date has already passed."), "invalid", 422)


@transaction.atomic
def enrolment_add(
    *,
    actor: Any,
    course: Course,
    email: str,
    role: str = LEARNER,
    cohort: Cohort | None = None,
    ends_at: datetime | None = None,
    override_capacity: bool = False,
) -> CourseMembership:
    """Staff enrol an existing account by email, with a role, a cohort and an end date."""
    _require_manage(actor, course)
    now = timezone.now()
    course = _lock(course)
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None or not user.is_active:
        raise EnrolmentError(
            _("No active account uses %(email)s. Invite them first.")
            % {"email": repr(email.strip())},
            "unknown_user",
            422,
        )
    the_role = _course_role(role)
    if cohort is not None and cohort.course_id != course.pk:
        raise EnrolmentError(_("That cohort belongs to another course."), "unknown_cohort", 422)
    _check_ends_at(the_role, ends_at, now)
    existing = _existing(course, user)
    if existing is not None and not _is_expired(existing, now):
        raise EnrolmentError(
            _("%(email)s is already %(name)s in this course.")
            % {"email": user.email, "name": role_name(existing.role).lower()},
            "already_enrolled",
        )
    if not can_grant_course_role(actor, course, the_role.permissions):
        raise PermissionDenied(
            _("You cannot make people %(name)s in this course.") % {"name": role_name(the_role)}
        )
    if the_role.slug == LEARNER and _full(course, now) and not override_capacity:
        raise EnrolmentError(
            _(
                "The course is full (%(capacity)s places). Enrol beyond capacity explicitly "
                "(override_capacity), or add them to the waiting list."
            )
            % {"capacity": course.capacity},
            "course_full",
        )
    if existing is not None:
        _end(existing, actor=None, action="enrolment.expired", promote=False)
    membership = _create_learner(
        actor=actor,
        course=course,
        user=user,
        source=CourseMembership.Source.MANUAL,
        now=now,
        role=the_role,
        cohort=cohort,
        ends_at=ends_at,
    )
    over = course.capacity is not None and learner_count(course, now=now) > course.capacity
    if override_capacity and the_role.slug == LEARNER and over:
        record(
            actor=actor,
            action="enrolment.updated",
            target=user,
            details={"course": course.public_id, "override_capacity": True},
        )
    WaitlistEntry.objects.filter(course=course, user=user).delete()
    invalidate_course(course.pk)
    return membership


_UNSET: Any = object()


@transaction.atomic
def enrolment_update(
    *,
    actor: Any,
    course: Course,
    user: User,
    cohort: Cohort | None = _UNSET,
    ends_at: datetime | None = _UNSET,
) -> CourseMembership:
    """Change a member's cohort and/or end date (arguments left out stay as they are)."""
    _require_manage(actor, course)
    membership = _existing(course, user)
    if membership is None:
        raise EnrolmentError(_("This person is not in the course."), "not_enrolled", 404)
    if _update_membership(actor, course, membership, cohort=cohort, ends_at=ends_at):
        invalidate_course(course.pk)
    return membership


def _update_membership(
    actor: Any,
    course: Course,
    membership: CourseMembership,
    *,
    cohort: Cohort | None = _UNSET,
    ends_at: datetime | None = _UNSET,
) -> bool:
    """Set cohort and/or end date, audited; False when nothing changed."""
    changes: dict[str, Any] = {}
    if cohort is not _UNSET and cohort != membership.cohort:
        if cohort is not None and cohort.course_id != course.pk:
            raise EnrolmentError(_("That cohort belongs to another course."), "unknown_cohort", 422)
        changes["cohort"] = cohort.name if cohort else None
        membership.cohort = cohort
    if ends_at is not _UNSET and ends_at != membership.ends_at:
        _check_ends_at(membership.role, ends_at, timezone.now())
        changes["ends_at"] = ends_at.isoformat() if ends_at else None
        membership.ends_at = ends_at
    if not changes:
        return False
    membership.save(update_fields=["cohort", "ends_at", "updated_at"])
    record(
        actor=actor,
        action="enrolment.updated",
        target=membership.user,
        details={"course": course.public_id, **changes},
    )
    return True


@transaction.atomic
def cohort_assign(
    *, actor: Any, course: Course, users: Iterable[User], cohort: Cohort | None
) -> int:
    """Put several members in one cohort (or none); returns how many changed."""
    _require_manage(actor, course)
    if cohort is not None and cohort.course_id != course.pk:
        raise EnrolmentError(_("That cohort belongs to another course."), "unknown_cohort", 422)
    memberships = (
        CourseMembership.objects.select_for_update(of=("self",))
        .filter(course=course, user__in=list(users))
        .select_related("role", "user", "cohort")
    )
    changed = sum(
        _update_membership(actor, course, membership, cohort=cohort) for membership in memberships
    )
    if changed:
        invalidate_course(course.pk)
    return changed


@transaction.atomic
def member_change(
    *,
    actor: Any,
    course: Course,
    user: User,
    role: str,
    cohort: Cohort | None,
    ends_at: datetime | None,
) -> CourseMembership:
    """The people page's edit form: role, cohort and end date together, or nothing."""
    _require_manage(actor, course)
    course = _lock(course)
    now = timezone.now()
    membership = _existing(course, user)
    if membership is None:
        raise EnrolmentError(_("This person is not in the course."), "not_enrolled", 404)
    new_role = _course_role(role)
    if new_role.slug != LEARNER:
        ends_at = None
    if new_role.pk != membership.role_id:
        if not can_grant_course_role(actor, course, membership.role.permissions):
            raise PermissionDenied(
                _("You cannot change the role of a %(name)s.")
                % {"name": role_name(membership.role)}
            )
        if new_role.slug == LEARNER and _full(course, now):
            raise EnrolmentError(
                _("The course is full (%(capacity)s places): no place for another learner.")
                % {"capacity": course.capacity},
                "course_full",
            )
        course_role_set(actor=actor, course=course, user=user, role=new_role)
        if new_role.slug != LEARNER and membership.ends_at:
            CourseMembership.objects.filter(pk=membership.pk).update(ends_at=None)
        if membership.role.slug == LEARNER:
            waitlist_promote(course=course)
    updated = enrolment_update(
        actor=actor, course=course, user=user, cohort=cohort, ends_at=ends_at
    )
    invalidate_course(course.pk)
    return updated


@transaction.atomic
def member_role_set(
    *, actor: Any, course: Course, user: User, role: str, override_capacity: bool = False
) -> CourseMembership:
    """Give ``user`` a course role whatever their state (the members API and the CLI):
    a newcomer is enrolled under the capacity rules, a member changes role keeping their
    cohort and end date; nothing changes when they already hold the role."""
    existing = _existing(course, user)
    if existing is not None and not _is_expired(existing, timezone.now()):
        if existing.role.slug == _course_role(role).slug:
            return existing
        return member_change(
            actor=actor,
            course=course,
            user=user,
            role=role,
            cohort=existing.cohort,
            ends_at=existing.ends_at,
        )
    return enrolment_add(
        actor=actor,
        course=course,
        email=user.email,
        role=role,
        override_capacity=override_capacity,
    )


@transaction.atomic
def enrolment_remove(
    *, actor: Any, course: Course, user: User, base_url: str | None = None
) -> None:
    """Staff remove someone from the course; the waiting list moves up."""
    _require_manage(actor, course)
    course = _lock(course)
    if not course_role_remove(actor=actor, course=course, user=user):
        raise EnrolmentError(_("This person is not in the course."), "not_enrolled", 404)
    invalidate_course(course.pk)
    waitlist_promote(course=course, base_url=base_url)


def enrolments_expire(*, now: datetime | None = None) -> int:
    """End every learner enrolment whose end date has passed (the daily job); each in its
    own transaction with its ``enrolment.expired`` event, then the waiting lists move up.
    Returns how many enrolments ended."""
    now = now or timezone.now()
    ended = 0
    expired = CourseMembership.objects.filter(
        role__slug=LEARNER, ends_at__isnull=False, ends_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(expired):
        with transaction.atomic():
            membership = (
                CourseMembership.objects.select_for_update(of=("self",))
                .select_related("role", "course", "user")
                .filter(pk=pk)
                .first()
            )
            if membership is None or not _is_expired(membership, now):
                continue  # left, removed or extended meanwhile
            _lock(membership.course)
            _end(membership, actor=None, action="enrolment.expired", promote=True)
            ended += 1
    # Places freed by paths that do not know about waiting lists (the members API and CLI
    # remove people through services.course_role_remove) are given away here too.
    for course in Course.objects.filter(waitlist__isnull=False).distinct():
        waitlist_promote(course=course)
    return ended


# --- Cohorts --------------------------------------------------------------------------------


def _clean_cohort_name(course: Course, name: str, exclude: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise EnrolmentError(_("Give the cohort a name."), "invalid", 422)
    if len(name) > 100:
        raise EnrolmentError(_("Cohort names have at most 100 characters."), "invalid", 422)
    clash = Cohort.objects.filter(course=course, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise EnrolmentError(
            _("There is already a cohort called %(name)s.") % {"name": repr(name)}, "cohort_exists"
        )
    return name


@transaction.atomic
def cohort_create(*, actor: Any, course: Course, name: str) -> Cohort:
    _require_manage(actor, course)
    cohort = Cohort.objects.create(course=course, name=_clean_cohort_name(course, name))
    record(
        actor=actor,
        action="cohort.created",
        target=cohort,
        details={"course": course.public_id, "name": cohort.name},
    )
    return cohort


@transaction.atomic
def cohort_rename(*, actor: Any, cohort: Cohort, name: str) -> Cohort:
    _require_manage(actor, cohort.course)
    new = _clean_cohort_name(cohort.course, name, exclude=cohort.pk)
    if new != cohort.name:
        old, cohort.name = cohort.name, new
        cohort.save(update_fields=["name", "updated_at"])
        record(
            actor=actor,
            action="cohort.updated",
            target=cohort,
            details={"course": cohort.course.public_id, "from": old, "to": new},
        )
    return cohort


@transaction.atomic
def cohort_delete(*, actor: Any, cohort: Cohort) -> int:
    """Delete a cohort; its members stay enrolled, without a cohort. Returns how many."""
    _require_manage(actor, cohort.course)
    members = CourseMembership.objects.filter(cohort=cohort).update(cohort=None)
    record(
        actor=actor,
        action="cohort.deleted",
        target=cohort,
        details={"course": cohort.course.public_id, "name": cohort.name, "members": members},
    )
    cohort.delete()
    return members


# --- Bulk CSV -------------------------------------------------------------------------------

ENROL, UPDATE, UNCHANGED, ERROR = "enrol", "update", "unchanged", "error"
OUTCOME_LABELS = {
    ENROL: gettext_lazy("Will enrol"),
    UPDATE: gettext_lazy("Will update"),
    UNCHANGED: gettext_lazy("Already enrolled (unchanged)"),
    ERROR: gettext_lazy("Error"),
}


def _evaluate(
    *,
    actor: Any,
    course: Course,
    rows: Iterable[csv_import.Row],
    override_capacity: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    """Each row's outcome against the course as it is now (a handful of queries, whatever
    the number of rows)."""
    rows = list(rows)
    emails = {r.email.lower() for r in rows if r.email}
    users = {
        u.email.lower(): u
        for u in User.objects.annotate(lower_email=Lower("email")).filter(lower_email__in=emails)
    }
    memberships = {
        m.user_id: m
        for m in CourseMembership.objects.filter(
            course=course, user__in=list(users.values())
        ).select_related("role", "cohort")
    }
    roles = {r.slug: r for r in Role.objects.filter(scope=COURSE)}
    cohorts = {c.name.lower(): c for c in Cohort.objects.filter(course=course)}
    free = None if course.capacity is None else course.capacity - learner_count(course, now=now)
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {
            "line": row.line,
            "email": row.email,
            "role": row.role or LEARNER,
            "cohort": row.cohort,
            "ends_at": row.ends_at.isoformat() if row.ends_at else "",
            "outcome": ERROR,
            "message": "",
        }
        out.append(item)
        if row.error:
            item["message"] = row.error
            continue
        key = row.email.lower()
        if key in seen:
            item["message"] = _("Duplicate row: this email is already on line %(line)s.") % {
                "line": seen[key]
            }
            continue
        seen[key] = row.line
        user = users.get(key)
        if user is None or not user.is_active:
            item["message"] = _("Unknown user: no active account has this email.")
            continue
        role = roles.get(row.role or LEARNER)
        if role is None:
            item["message"] = _("Unknown role %(role)s: use %(roles)s.") % {
                "role": repr(row.role),
                "roles": ", ".join(sorted(roles)),
            }
            continue
        ends_at = end_of_day(row.ends_at) if row.ends_at else None
        if ends_at is not None and role.slug != LEARNER:
            item["message"] = _("End dates apply to learners only.")
            continue
        if ends_at is not None and ends_at <= now:
            item["message"] = _("Bad date: the end date has already passed.")
            continue
        if not can_grant_course_role(actor, course, role.permissions):
            item["message"] = _("You cannot make people %(name)s in this course.") % {
                "name": role_name(role)
            }
            continue
        membership = memberships.get(user.pk)
        if membership is not None and _is_expired(membership, now):
            membership = None  # their enrolment ended: a fresh one
        if membership is None:
            if role.slug == LEARNER and free is not None:
                if free <= 0 and not override_capacity:
                    item["message"] = _("The course is full: no place left for this row.")
                    continue
                free -= 1
            item["outcome"] = ENROL
            item["message"] = _("Will enrol as %(name)s") % {"name": role_name(role).lower()}
            if row.cohort and row.cohort.lower() not in cohorts:
                item["message"] += _(" (new cohort %(cohort)s)") % {"cohort": repr(row.cohort)}
            continue
        changes = []
        if membership.role.slug != role.slug:
            if not can_grant_course_role(actor, course, membership.role.permissions):
                item["message"] = _("You cannot change the role of a %(name)s.") % {
                    "name": role_name(membership.role)
                }
                continue
            if role.slug == LEARNER and free is not None:
                if free <= 0 and not override_capacity:
                    item["message"] = _("The course is full: no place left for this row.")
                    continue
                free -= 1
            changes.append(
                _("role %(old)s → %(new)s") % {"old": membership.role.slug, "new": role.slug}
            )
        current_cohort = membership.cohort.name if membership.cohort else ""
        if row.cohort and row.cohort.lower() != current_cohort.lower():
            changes.append(
                _("cohort %(old)s → %(new)s")
                % {"old": current_cohort or _("none"), "new": row.cohort}
            )
        if ends_at is not None and ends_at != membership.ends_at:
            changes.append(
                _("end date → %(day)s") % {"day": row.ends_at.isoformat() if row.ends_at else ""}
            )
        if changes:
            item["outcome"] = UPDATE
            item["message"] = _("Will update: %(changes)s") % {"changes": "; ".join(changes)}
        else:
            item["outcome"] = UNCHANGED
            item["message"] = _("Already enrolled as listed: nothing to change.")
    return out


def _report(rows: list[dict[str, Any]], *, warnings: list[str], override: bool) -> dict[str, Any]:
    totals = dict.fromkeys((ENROL, UPDATE, UNCHANGED, ERROR), 0)
    for row in rows:
        totals[row["outcome"]] += 1
    return {
        "rows": rows,
        "totals": totals,
        "warnings": warnings,
        "override_capacity": override,
    }


def import_preview(
    *,
    actor: Any,
    course: Course,
    data: bytes,
    filename: str = "",
    override_capacity: bool = False,
    dry_run: bool = False,
) -> tuple[EnrolmentImport | None, dict[str, Any]]:
    """Parse and check a CSV; keep it for "Apply" unless ``dry_run`` (which writes nothing).

    File-level problems (too large, not UTF-8, no header, too many rows) raise
    ``EnrolmentError`` with status 400; row problems are reported per row.
    """
    _require_manage(actor, course)
    try:
        parsed = csv_import.parse(
            data, max_bytes=settings.UPLOAD_MAX_CSV_KB * 1024, max_rows=csv_import.MAX_ROWS
        )
    except csv_import.CsvError as exc:
        raise EnrolmentError(str(exc), exc.code, 400) from None
    rows = _evaluate(
        actor=actor,
        course=course,
        rows=parsed.rows,
        override_capacity=override_capacity,
        now=timezone.now(),
    )
    report = _report(rows, warnings=parsed.warnings, override=override_capacity)
    if dry_run:
        return None, report
    imp = EnrolmentImport.objects.create(
        course=course,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        filename=filename[:200],
        content=parsed.text,
        report=report,
    )
    return imp, report


@transaction.atomic
def import_apply(*, actor: Any, imp: EnrolmentImport) -> dict[str, Any]:
    """Apply a previewed import: every valid row, in one transaction, re-checked against
    the course as it is now. Idempotent: rows already as listed are left alone."""
    imp = EnrolmentImport.objects.select_for_update().get(pk=imp.pk)
    course = imp.course
    _require_manage(actor, course)
    if imp.status == EnrolmentImport.Status.APPLIED:
        raise EnrolmentError(
            _("This import was already applied. Upload the file again to re-run it."),
            "already_applied",
        )
    course = _lock(course)
    now = timezone.now()
    parsed = csv_import.parse_text(imp.content, max_rows=csv_import.MAX_ROWS)
    override = bool(imp.report.get("override_capacity"))
    rows = _evaluate(
        actor=actor, course=course, rows=parsed.rows, override_capacity=override, now=now
    )
    by_line = {r.line: r for r in parsed.rows}
    cohorts = {c.name.lower(): c for c in Cohort.objects.filter(course=course)}

    def cohort_named(name: str) -> Cohort | None:
        if not name:
            return None
        if name.lower() not in cohorts:
            cohorts[name.lower()] = cohort_create(actor=actor, course=course, name=name)
        return cohorts[name.lower()]

    wanted = {by_line[r["line"]].email.lower() for r in rows if r["outcome"] in (ENROL, UPDATE)}
    users = {
        u.email.lower(): u
        for u in User.objects.annotate(lower_email=Lower("email")).filter(lower_email__in=wanted)
    }
    roles = {r.slug: r for r in Role.objects.filter(scope=COURSE)}
    for item in rows:
        if item["outcome"] not in (ENROL, UPDATE):
            continue
        row = by_line[item["line"]]
        user = users[row.email.lower()]
        role = roles[row.role or LEARNER]
        ends_at = end_of_day(row.ends_at) if row.ends_at else None
        existing = _existing(course, user)
        if item["outcome"] == ENROL:
            if existing is not None:  # expired: end it first
                _end(
                    existing,
                    actor=None,
                    action="enrolment.expired",
                    promote=False,
                    invalidate=False,
                )
            _create_learner(
                actor=actor,
                course=course,
                user=user,
                source=CourseMembership.Source.CSV,
                now=now,
                role=role,
                cohort=cohort_named(row.cohort),
                ends_at=ends_at,
            )
            WaitlistEntry.objects.filter(course=course, user=user).delete()
            continue
        assert existing is not None
        if existing.role.slug != role.slug:
            existing = _role_set(actor=actor, course=course, user=user, role=role)
            if role.slug != LEARNER and existing.ends_at:
                existing.ends_at = None
                existing.save(update_fields=["ends_at", "updated_at"])
        updates: dict[str, Any] = {}
        if row.cohort:
            updates["cohort"] = cohort_named(row.cohort)
        if ends_at is not None:
            updates["ends_at"] = ends_at
        if updates:
            _update_membership(actor, course, existing, **updates)

    report = _report(rows, warnings=parsed.warnings, override=override)
    imp.status = EnrolmentImport.Status.APPLIED
    imp.applied_at = now
    imp.report = report
    imp.save(update_fields=["status", "applied_at", "report", "updated_at"])
    record(
        actor=actor,
        action="enrolment.import_applied",
        target=imp,
        details={"course": course.public_id, "filename": imp.filename, **report["totals"]},
    )
    invalidate_course(course.pk)
    return report


# Files with more changes than this are applied by the worker: each row writes its
# membership and audit event, and thousands of them would outlast a web request.
IMPORT_INLINE_CHANGES = 300
IMPORT_QUEUE_STALE_MINUTES = 30


def import_queued_at(imp: EnrolmentImport) -> datetime | None:
    """When the import was handed to the worker and is not applied yet, else None."""
    value = imp.report.get("queued_at")
    if not value or imp.status == EnrolmentImport.Status.APPLIED:
        return None
    return datetime.fromisoformat(value)


def import_apply_or_queue(*, actor: Any, imp: EnrolmentImport) -> dict[str, Any] | None:
    """Apply a small import now (returns its report); queue a large one for the worker
    (returns None). A queued import is not queued twice unless it has been waiting for
    IMPORT_QUEUE_STALE_MINUTES (a worker that died)."""
    _require_manage(actor, imp.course)
    totals = imp.report.get("totals", {})
    if totals.get(ENROL, 0) + totals.get(UPDATE, 0) <= IMPORT_INLINE_CHANGES:
        return import_apply(actor=actor, imp=imp)
    from syllabus.core.jobs import enqueue_on_commit
    from syllabus.courses.tasks import enrolment_import_apply_task

    with transaction.atomic():
        imp = EnrolmentImport.objects.select_for_update().get(pk=imp.pk)
        if imp.status == EnrolmentImport.Status.APPLIED:
            raise EnrolmentError(_("This import was already applied."), "already_applied")
        queued = import_queued_at(imp)
        now = timezone.now()
        if queued and now - queued < timedelta(minutes=IMPORT_QUEUE_STALE_MINUTES):
            raise EnrolmentError(_("This import is already being applied."), "already_queued")
        imp.report = {**imp.report, "queued_at": now.isoformat(), "failed": ""}
        imp.save(update_fields=["report", "updated_at"])
        enqueue_on_commit(enrolment_import_apply_task, imp.pk, getattr(actor, "pk", None))
    return None


def import_apply_queued(*, import_id: int, actor_id: int | None) -> None:
    """The worker's half of ``import_apply_or_queue``; a refusal is kept on the import
    (shown on its page) rather than retried."""
    imp = EnrolmentImport.objects.filter(pk=import_id).select_related("course").first()
    if imp is None or imp.status == EnrolmentImport.Status.APPLIED:
        return
    actor = User.objects.filter(pk=actor_id, is_active=True).first() if actor_id else None
    try:
        if actor_id and actor is None:
            raise PermissionDenied(_("The person who applied this import can no longer sign in."))
        import_apply(actor=actor, imp=imp)
    except (EnrolmentError, PermissionDenied) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        EnrolmentImport.objects.filter(pk=imp.pk).update(
            report={**imp.report, "queued_at": "", "failed": message}
        )
