"""Enrolment rules: self and key enrolment, capacity and the waiting list, leaving, staff
enrolment, end dates and their expiry, cohorts; each write audited with its actor."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.courses import prerequisites
from syllabus.courses.models import Cohort, Course, CourseMembership, WaitlistEntry
from syllabus.courses.services import course_role_set
from syllabus.courses.services_enrolment import (
    EnrolmentError,
    active_learner_q,
    cohort_create,
    cohort_delete,
    cohort_rename,
    end_of_day,
    enrol_self,
    enrolment_add,
    enrolment_remove,
    enrolment_state,
    enrolment_update,
    enrolments_expire,
    is_active_learner,
    is_active_member,
    leave_course,
    member_change,
    places_left,
    waitlist_join,
    waitlist_leave,
    waitlist_position,
    waitlist_promote,
)
from syllabus.courses.tasks import enrolments_expire_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_course(**fields):
    defaults = {"title": "Statistics", "slug": f"stats-{Course.objects.count()}"}
    defaults["status"] = Course.Status.PUBLISHED
    defaults.update(fields)
    return Course.objects.create(**defaults)


def staff(course, slug="instructor"):
    user = UserFactory()
    course_role_set(actor=None, course=course, user=user, role=Role.objects.get(slug=slug))
    return user


class _Refused:
    """``with _Refused("course_full"):`` expects an EnrolmentError with that code."""

    def __init__(self, code):
        self.code = code

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        assert kind is EnrolmentError, f"expected {self.code}, got {kind}"
        assert exc.code == self.code, exc.code
        self.exc = exc
        return True


def events(action):
    return AuditEvent.objects.filter(action=action)


# --- Self-enrolment -------------------------------------------------------------------------


def test_a_learner_enrols_in_an_open_course_audited_as_themself():
    course = make_course()
    learner = UserFactory()
    membership = enrol_self(user=learner, course=course)
    assert membership.role.slug == "learner"
    assert membership.source == CourseMembership.Source.SELF
    assert membership.ends_at is None
    event = events("enrolment.created").get()
    assert event.actor == learner
    assert event.details["course"] == course.public_id
    assert is_active_learner(learner, course)


def test_enrolling_twice_is_refused_and_writes_nothing_more():
    course = make_course()
    learner = UserFactory()
    enrol_self(user=learner, course=course)
    with _Refused("already_enrolled") as r:
        enrol_self(user=learner, course=course)
    assert r.exc.status == 409
    assert events("enrolment.created").count() == 1


def test_default_enrolment_days_set_the_end_date():
    course = make_course(default_enrolment_days=30)
    with time_machine.travel("2026-03-01 10:00Z", tick=False):
        membership = enrol_self(user=UserFactory(), course=course)
    assert membership.ends_at == end_of_day(date(2026, 3, 31))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"enrolment": Course.Enrolment.MANUAL}, "Instructors and managers enrol people"),
        ({"status": Course.Status.DRAFT}, "not open for enrolment"),
        ({"available_from": timezone.now() + timedelta(days=3)}, "Enrolment opens on"),
        ({"available_until": timezone.now() - timedelta(days=1)}, "has ended"),
    ],
)
def test_closed_courses_refuse_self_enrolment_with_a_reason(fields, message):
    course = make_course(**fields)
    with _Refused("enrolment_closed") as r:
        enrol_self(user=UserFactory(), course=course)
    assert message in r.exc.messages[0]
    assert not CourseMembership.objects.exists()


def test_key_courses_need_the_right_key():
    course = make_course(enrolment=Course.Enrolment.KEY, enrolment_key="Blue-Moon-7")
    learner = UserFactory()
    with _Refused("key_required") as r:
        enrol_self(user=learner, course=course)
    assert r.exc.status == 400
    with _Refused("wrong_key") as r:
        enrol_self(user=learner, course=course, key="blue-moon-7")
    assert r.exc.status == 400
    assert not CourseMembership.objects.exists()
    membership = enrol_self(user=learner, course=course, key=" Blue-Moon-7 ")
    assert membership.source == CourseMembership.Source.KEY


def test_key_attempts_are_rate_limited_per_person(settings):
    settings.RATE_LIMIT_AUTH = "3/minute"
    course = make_course(enrolment=Course.Enrolment.KEY, enrolment_key="right")
    learner = UserFactory()
    for _ in range(3):
        with _Refused("wrong_key"):
            enrol_self(user=learner, course=course, key="guess")
    with _Refused("rate_limited") as r:
        enrol_self(user=learner, course=course, key="right")  # even the right key waits
    assert r.exc.status == 429
    assert r.exc.extra["retry_after"] >= 1
    enrol_self(user=UserFactory(), course=course, key="right")  # others are not affected


def test_prerequisites_must_be_completed_first(monkeypatch):
    first = make_course(title="Basics")
    course = make_course(title="Advanced")
    course.prerequisites.add(first)
    done: set[tuple[int, int]] = set()
    monkeypatch.setattr(
        prerequisites,
        "_sources",
        [lambda user, ids: {i for i in ids if (user.pk, i) in done}],
    )
    learner = UserFactory()
    with _Refused("prerequisites_missing") as r:
        enrol_self(user=learner, course=course)
    assert "“Basics”" in r.exc.messages[0]
    assert r.exc.extra["missing"] == [{"public_id": first.public_id, "title": "Basics"}]
    assert enrolment_state(learner, course).status == "prerequisites"
    done.add((learner.pk, first.pk))
    enrol_self(user=learner, course=course)


# --- Capacity and the waiting list ----------------------------------------------------------


def test_a_full_course_offers_the_waiting_list_and_promotes_in_order_on_leave(
    django_capture_on_commit_callbacks,
):
    course = make_course(capacity=1)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    enrol_self(user=first, course=course)
    assert places_left(course) == 0
    with _Refused("course_full") as r:
        enrol_self(user=second, course=course)
    assert r.exc.extra == {"waitlist": True}
    waitlist_join(user=second, course=course)
    waitlist_join(user=third, course=course)
    assert waitlist_position(second, course) == 1
    assert waitlist_position(third, course) == 2
    assert enrolment_state(third, course).status == "waitlisted"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        leave_course(user=first, course=course, base_url="https://lms.example.org/")

    promoted = CourseMembership.objects.get(course=course, user=second)
    assert promoted.source == CourseMembership.Source.WAITLIST
    assert not CourseMembership.objects.filter(course=course, user=first).exists()
    assert waitlist_position(third, course) == 1
    assert [m.to for m in mail.outbox] == [[second.email]]
    assert course.title in mail.outbox[0].subject
    assert f"https://lms.example.org/courses/{course.public_id}/" in mail.outbox[0].body
    removed = events("enrolment.removed").get()
    assert removed.actor == first and removed.details["reason"] == "left"
    created = events("enrolment.created").filter(target_id=second.public_id).get()
    assert created.actor is None  # the system gave the place


def test_waiting_list_rules():
    course = make_course(capacity=1)
    enrol_self(user=UserFactory(), course=course)
    waiting = UserFactory()
    waitlist_join(user=waiting, course=course)
    with _Refused("already_waitlisted"):
        waitlist_join(user=waiting, course=course)
    waitlist_leave(user=waiting, course=course)
    with _Refused("not_waitlisted") as r:
        waitlist_leave(user=waiting, course=course)
    assert r.exc.status == 404
    open_course = make_course()
    with _Refused("places_available"):
        waitlist_join(user=waiting, course=open_course)
    assert events("enrolment.waitlisted").count() == 1
    assert events("enrolment.waitlist_left").get().actor == waiting


def test_growing_capacity_promotes_the_waiting_list():
    course = make_course(capacity=1)
    enrol_self(user=UserFactory(), course=course)
    a, b = UserFactory(), UserFactory()
    waitlist_join(user=a, course=course)
    waitlist_join(user=b, course=course)
    Course.objects.filter(pk=course.pk).update(capacity=3)
    promoted = waitlist_promote(course=course)
    assert [m.user for m in promoted] == [a, b]
    assert not WaitlistEntry.objects.exists()


def test_expired_learners_do_not_take_places():
    course = make_course(capacity=1)
    old = UserFactory()
    enrol_self(user=old, course=course)
    CourseMembership.objects.filter(user=old).update(ends_at=timezone.now() - timedelta(hours=1))
    assert places_left(course) == 1
    newcomer = UserFactory()
    enrol_self(user=newcomer, course=course)  # not refused as full
    assert is_active_learner(newcomer, course)


def test_teachers_cannot_leave_and_non_members_get_not_enrolled():
    course = make_course()
    teacher = staff(course)
    with _Refused("not_a_learner"):
        leave_course(user=teacher, course=course)
    with _Refused("not_enrolled") as r:
        leave_course(user=UserFactory(), course=course)
    assert r.exc.status == 404


# --- Staff enrolment ------------------------------------------------------------------------


def test_instructors_enrol_people_by_email_with_cohort_and_end_date():
    course = make_course(enrolment=Course.Enrolment.MANUAL)
    teacher = staff(course)
    cohort = cohort_create(actor=teacher, course=course, name="Morning")
    person = UserFactory(email="Pat@Example.org")
    ends = end_of_day(timezone.localdate() + timedelta(days=10))
    membership = enrolment_add(
        actor=teacher, course=course, email="pat@example.org", cohort=cohort, ends_at=ends
    )
    assert membership.user == person
    assert membership.cohort == cohort
    assert membership.ends_at == ends
    assert membership.source == CourseMembership.Source.MANUAL
    assert events("enrolment.created").get().actor == teacher


def test_unknown_emails_and_roles_are_clear_errors():
    course = make_course()
    teacher = staff(course)
    with _Refused("unknown_user") as r:
        enrolment_add(actor=teacher, course=course, email="nobody@example.org")
    assert "nobody@example.org" in r.exc.messages[0]
    UserFactory(email="x@example.org")
    with _Refused("unknown_role"):
        enrolment_add(actor=teacher, course=course, email="x@example.org", role="dean")
    with _Refused("invalid"):
        enrolment_add(
            actor=teacher,
            course=course,
            email="x@example.org",
            role="teaching_assistant",
            ends_at=end_of_day(timezone.localdate() + timedelta(days=3)),
        )
    assert CourseMembership.objects.filter(course=course).count() == 1  # the teacher


def test_staff_exceed_capacity_only_with_the_override():
    course = make_course(capacity=1)
    teacher = staff(course)
    enrol_self(user=UserFactory(), course=course)
    extra = UserFactory()
    with _Refused("course_full"):
        enrolment_add(actor=teacher, course=course, email=extra.email)
    enrolment_add(actor=teacher, course=course, email=extra.email, override_capacity=True)
    assert places_left(course) == 0
    assert events("enrolment.updated").get().details["override_capacity"] is True
    # staff roles never count against capacity
    enrolment_add(
        actor=teacher, course=course, email=UserFactory().email, role="teaching_assistant"
    )


def test_learners_cannot_enrol_others_and_assistants_cannot_make_instructors():
    course = make_course()
    learner = UserFactory()
    enrol_self(user=learner, course=course)
    with pytest.raises(PermissionDenied):
        enrolment_add(actor=learner, course=course, email=UserFactory().email)
    manager = UserFactory(site_roles=["manager"])
    with pytest.raises(PermissionDenied):  # managers do not hold course.edit
        enrolment_add(actor=manager, course=course, email=UserFactory().email, role="instructor")
    enrolment_add(actor=manager, course=course, email=UserFactory().email)


def test_staff_removal_promotes_the_waiting_list_and_is_audited():
    course = make_course(capacity=1)
    teacher = staff(course)
    learner, waiting = UserFactory(), UserFactory()
    enrol_self(user=learner, course=course)
    waitlist_join(user=waiting, course=course)
    enrolment_remove(actor=teacher, course=course, user=learner)
    assert is_active_learner(waiting, course)
    assert events("enrolment.removed").get().actor == teacher
    with _Refused("not_enrolled"):
        enrolment_remove(actor=teacher, course=course, user=learner)


def test_member_change_sets_role_cohort_and_end_date_together():
    course = make_course()
    teacher = staff(course)
    person = UserFactory()
    enrolment_add(actor=teacher, course=course, email=person.email)
    cohort = cohort_create(actor=teacher, course=course, name="B")
    ends = end_of_day(timezone.localdate() + timedelta(days=5))
    member_change(
        actor=teacher, course=course, user=person, role="learner", cohort=cohort, ends_at=ends
    )
    m = CourseMembership.objects.get(course=course, user=person)
    assert (m.cohort, m.ends_at) == (cohort, ends)
    updated = events("enrolment.updated").get()
    assert updated.details["cohort"] == "B"
    member_change(
        actor=teacher,
        course=course,
        user=person,
        role="teaching_assistant",
        cohort=cohort,
        ends_at=ends,
    )
    m.refresh_from_db()
    assert m.role.slug == "teaching_assistant"
    assert m.ends_at is None  # end dates are for learners


# --- End dates ------------------------------------------------------------------------------


def test_active_learner_q_and_the_expiry_job():
    course = make_course(capacity=1)
    teacher = staff(course)
    learner, waiting = UserFactory(), UserFactory()
    with time_machine.travel("2026-05-01 09:00Z", tick=False):
        enrolment_add(
            actor=teacher, course=course, email=learner.email, ends_at=end_of_day(date(2026, 5, 3))
        )
        waitlist_join(user=waiting, course=course)
    with time_machine.travel("2026-05-03 12:00Z", tick=False):
        assert is_active_learner(learner, course)
        assert enrolments_expire() == 0
    with time_machine.travel("2026-05-05 00:30Z", tick=False):
        # the job has not run: the learner is already treated as not enrolled
        assert not is_active_learner(learner, course)
        assert not is_active_member(learner, course)
        assert is_active_member(teacher, course)
        assert not CourseMembership.objects.filter(active_learner_q(), user=learner).exists()
        assert enrolment_state(learner, course).status != "member"
        assert enrolments_expire_task.call_local() == 1
    assert not CourseMembership.objects.filter(course=course, user=learner).exists()
    assert is_active_learner(waiting, course)  # the freed place went to the waiting list
    expired = events("enrolment.expired").get()
    assert expired.actor is None
    assert expired.target_id == learner.public_id


def test_end_dates_must_be_in_the_future_and_updates_are_audited():
    course = make_course()
    teacher = staff(course)
    person = UserFactory()
    enrolment_add(actor=teacher, course=course, email=person.email)
    with _Refused("invalid"):
        enrolment_update(
            actor=teacher, course=course, user=person, ends_at=timezone.now() - timedelta(days=1)
        )
    ends = end_of_day(timezone.localdate() + timedelta(days=1))
    enrolment_update(actor=teacher, course=course, user=person, ends_at=ends)
    enrolment_update(actor=teacher, course=course, user=person, ends_at=ends)  # no change
    assert events("enrolment.updated").count() == 1
    enrolment_update(actor=teacher, course=course, user=person, ends_at=None)
    assert CourseMembership.objects.get(user=person).ends_at is None


def test_an_expired_learner_can_enrol_again():
    course = make_course()
    learner = UserFactory()
    enrol_self(user=learner, course=course)
    CourseMembership.objects.filter(user=learner).update(ends_at=timezone.now() - timedelta(1))
    enrol_self(user=learner, course=course)
    assert is_active_learner(learner, course)
    assert events("enrolment.expired").count() == 1


# --- Cohorts --------------------------------------------------------------------------------


def test_cohorts_create_rename_delete_keep_members_enrolled():
    course = make_course()
    teacher = staff(course)
    cohort = cohort_create(actor=teacher, course=course, name="  Evening   group ")
    assert cohort.name == "Evening group"
    with _Refused("cohort_exists"):
        cohort_create(actor=teacher, course=course, name="evening GROUP")
    with _Refused("invalid"):
        cohort_create(actor=teacher, course=course, name="   ")
    person = UserFactory()
    enrolment_add(actor=teacher, course=course, email=person.email, cohort=cohort)
    cohort_rename(actor=teacher, cohort=cohort, name="Late group")
    assert events("cohort.updated").get().details == {
        "course": course.public_id,
        "from": "Evening group",
        "to": "Late group",
    }
    assert cohort_delete(actor=teacher, cohort=cohort) == 1
    membership = CourseMembership.objects.get(user=person)
    assert membership.cohort is None
    assert not Cohort.objects.exists()
    assert events("cohort.deleted").get().actor == teacher
    with pytest.raises(PermissionDenied):
        cohort_create(actor=person, course=course, name="Mine")


def test_raising_capacity_in_the_course_settings_promotes_the_waiting_list(
    django_capture_on_commit_callbacks,
):
    from syllabus.courses.services import course_update

    course = make_course(capacity=1)
    teacher = staff(course)
    enrol_self(user=UserFactory(), course=course)
    waiting = UserFactory()
    waitlist_join(user=waiting, course=course)
    with django_capture_on_commit_callbacks(execute=True):
        course_update(actor=teacher, course=course, changes={"capacity": 2})
    assert is_active_learner(waiting, course)
    assert not WaitlistEntry.objects.exists()


def test_the_daily_job_also_fills_places_freed_elsewhere():
    """The members API and the CLI remove people through course_role_remove, which does
    not know about waiting lists; the daily job gives such places away."""
    from syllabus.courses.services import course_role_remove

    course = make_course(capacity=1)
    teacher = staff(course)
    learner, waiting = UserFactory(), UserFactory()
    enrol_self(user=learner, course=course)
    waitlist_join(user=waiting, course=course)
    course_role_remove(actor=teacher, course=course, user=learner)
    assert not is_active_learner(waiting, course)
    enrolments_expire_task.call_local()
    assert is_active_learner(waiting, course)


def test_people_waiting_come_before_a_newcomer_when_a_place_was_freed_elsewhere():
    from syllabus.courses.services import course_role_remove

    course = make_course(capacity=1)
    teacher = staff(course)
    learner, waiting, newcomer = UserFactory(), UserFactory(), UserFactory()
    enrol_self(user=learner, course=course)
    waitlist_join(user=waiting, course=course)
    course_role_remove(actor=teacher, course=course, user=learner)  # no promotion here
    with _Refused("course_full"):
        enrol_self(user=newcomer, course=course)
    assert is_active_learner(waiting, course)
    assert not is_active_learner(newcomer, course)
