"""Course-scoped roles: one person can teach one course and learn in another."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.accounts.models import Role, User
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.permissions import course_permissions, courses_visible_to, has_course_perm
from syllabus.courses.services import course_create, course_role_remove, course_role_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def role(slug: str) -> Role:
    return Role.objects.get(slug=slug)


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def two_courses(admin_user):
    return (
        course_create(actor=admin_user, title="Algebra"),
        course_create(actor=admin_user, title="Biology"),
    )


def test_instructor_of_one_course_and_learner_in_another(two_courses):
    algebra, biology = two_courses
    ines = UserFactory()
    course_role_set(actor=None, course=algebra, user=ines, role=role("instructor"))
    course_role_set(actor=None, course=biology, user=ines, role=role("learner"))
    ines = fresh(ines)

    assert has_course_perm(ines, algebra, "grade.edit")
    assert has_course_perm(ines, algebra, "course.edit")
    assert not has_course_perm(ines, biology, "grade.edit")
    assert not has_course_perm(ines, biology, "course.view_learners")
    assert course_permissions(ines, biology) == frozenset()


def test_creating_a_course_makes_the_creator_its_instructor_audited(admin_user):
    course = course_create(actor=admin_user, title="  Chemistry ")
    assert course.title == "Chemistry"
    assert course.slug == "chemistry"
    assert course.public_id.startswith("crs_")
    assert CourseMembership.objects.get(course=course).role.slug == "instructor"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"course.created", "role.granted"} <= actions
    assert AuditEvent.objects.get(action="role.granted").actor == admin_user


def test_course_creation_needs_the_permission_and_a_title(learner, admin_user):
    with pytest.raises(PermissionDenied):
        course_create(actor=learner, title="Mine")
    with pytest.raises(ValidationError, match="title"):
        course_create(actor=admin_user, title="   ")
    assert not Course.objects.exists()


def test_an_instructor_can_enrol_learners_but_not_make_instructors(two_courses):
    algebra, _ = two_courses
    teacher, student = UserFactory(), UserFactory()
    course_role_set(actor=None, course=algebra, user=teacher, role=role("instructor"))
    teacher = fresh(teacher)

    course_role_set(actor=teacher, course=algebra, user=student, role=role("learner"))
    assert AuditEvent.objects.filter(action="enrolment.created").count() == 1
    course_role_set(actor=teacher, course=algebra, user=student, role=role("teaching_assistant"))
    assert (
        CourseMembership.objects.get(course=algebra, user=student).role.slug == "teaching_assistant"
    )


def test_a_teaching_assistant_cannot_enrol_or_escalate(two_courses):
    algebra, _ = two_courses
    assistant, other = UserFactory(), UserFactory()
    course_role_set(actor=None, course=algebra, user=assistant, role=role("teaching_assistant"))
    with pytest.raises(PermissionDenied):
        course_role_set(actor=fresh(assistant), course=algebra, user=other, role=role("learner"))
    with pytest.raises(PermissionDenied):
        course_role_set(
            actor=fresh(assistant), course=algebra, user=assistant, role=role("instructor")
        )
    assert (
        CourseMembership.objects.get(course=algebra, user=assistant).role.slug
        == "teaching_assistant"
    )


def test_a_site_role_cannot_be_given_in_a_course(two_courses, learner):
    algebra, _ = two_courses
    with pytest.raises(ValidationError, match="site role"):
        course_role_set(actor=None, course=algebra, user=learner, role=role("auditor"))


def test_becoming_an_instructor_starts_the_mfa_grace_period_and_leaving_clears_it(two_courses):
    algebra, _ = two_courses
    person = UserFactory()
    course_role_set(actor=None, course=algebra, user=person, role=role("instructor"))
    assert fresh(person).mfa_required_since is not None
    course_role_remove(actor=None, course=algebra, user=person)
    assert fresh(person).mfa_required_since is None
    assert AuditEvent.objects.filter(action="role.removed").count() == 1


def test_drafts_are_visible_to_members_and_editors_only(two_courses, learner, outsider):
    algebra, biology = two_courses
    biology.status = Course.Status.PUBLISHED
    biology.save()
    course_role_set(actor=None, course=algebra, user=learner, role=role("learner"))

    def visible(user):
        return set(Course.objects.filter(courses_visible_to(user)).values_list("title", flat=True))

    assert visible(outsider) == {"Biology"}
    assert visible(fresh(learner)) == {"Algebra", "Biology"}
    manager = UserFactory(site_roles=["admin"])
    assert visible(manager) == {"Algebra", "Biology"}
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == {"Biology"}


# --- The memberships read once per request -------------------------------------------------


def test_one_query_answers_every_course_question_of_a_request(
    two_courses, django_assert_num_queries
):
    from syllabus.courses.permissions import course_role_permissions
    from syllabus.learning.access import learner_membership

    algebra, biology = two_courses
    ines = UserFactory()
    course_role_set(actor=None, course=algebra, user=ines, role=role("instructor"))
    course_role_set(actor=None, course=biology, user=ines, role=role("learner"))
    ines = fresh(ines)
    cache.clear()  # the site roles come from the database, not from the cache
    with django_assert_num_queries(2):  # the site roles, then the memberships
        assert has_course_perm(ines, algebra, "course.edit")
        assert not has_course_perm(ines, biology, "course.edit")
        assert learner_membership(ines, biology) is not None
        assert learner_membership(ines, algebra) is None  # she teaches it
        assert "course.edit" in course_role_permissions(ines)


def test_a_membership_written_outside_the_services_is_seen_by_the_same_user_object(
    two_courses,
):
    algebra, _biology = two_courses
    ines = fresh(UserFactory())
    assert not has_course_perm(ines, algebra, "course.edit")
    membership = CourseMembership.objects.create(course=algebra, user=ines, role=role("instructor"))
    assert has_course_perm(ines, algebra, "course.edit")
    membership.delete()
    assert not has_course_perm(ines, algebra, "course.edit")


def test_someone_with_very_many_memberships_is_asked_about_one_course_at_a_time(
    two_courses, monkeypatch
):
    from syllabus.courses import permissions

    algebra, biology = two_courses
    monkeypatch.setattr(permissions, "MEMBERSHIPS_PER_REQUEST", 1)
    ines = UserFactory()
    course_role_set(actor=None, course=algebra, user=ines, role=role("instructor"))
    course_role_set(actor=None, course=biology, user=ines, role=role("learner"))
    ines = fresh(ines)
    assert permissions.user_memberships(ines) is None
    assert has_course_perm(ines, algebra, "course.edit")
    assert not has_course_perm(ines, biology, "course.edit")
    assert permissions.course_role_permissions(ines) >= {"course.edit"}
