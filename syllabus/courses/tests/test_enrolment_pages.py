"""Enrolment pages: the learner's journey (enrol, leave, waiting list) through the enrol
panel, and the staff pages (people, add, edit, remove, cohorts, CSV import)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syllabus.accounts.models import Role
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Cohort, Course, CourseMembership, EnrolmentImport, WaitlistEntry
from syllabus.courses.services import course_role_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return Course.objects.create(
        title="Geology", slug="geo", summary="Rocks.", status=Course.Status.PUBLISHED
    )


@pytest.fixture
def teacher(course):
    user = UserFactory(email="teacher@example.org")
    course_role_set(actor=None, course=course, user=user, role=Role.objects.get(slug="instructor"))
    return user


def url(name, course, *args):
    return reverse(f"courses:{name}", args=[course.public_id, *args])


def panel(client, course):
    """The enrol panel as the course page renders it (or the enrol page without it)."""
    response = client.get(url("enrol", course))
    assert response.status_code == 200
    return response.content.decode()


# --- Learners -------------------------------------------------------------------------------


def test_the_learner_journey_enrol_then_leave(client, course):
    learner = UserFactory()
    client.force_login(learner)
    page = client.get(url("detail", course)).content.decode()
    assert 'id="enrol-panel"' in page and "Enrol in this course" in page

    response = client.post(url("enrol", course))
    assert response.status_code == 302 and response["Location"] == url("detail", course)
    page = client.get(url("detail", course)).content.decode()
    assert "You are enrolled in Geology." in page  # the message
    assert "You are enrolled." in page and "Leave course" in page

    confirm = client.get(url("enrol_leave", course))
    assert confirm.status_code == 200
    assert b"Leave Geology?" in confirm.content
    assert CourseMembership.objects.filter(user=learner).exists()  # GET changes nothing
    left = client.post(url("enrol_leave", course))
    assert left.status_code == 302
    assert not CourseMembership.objects.filter(user=learner).exists()
    assert AuditEvent.objects.filter(action="enrolment.removed", actor=learner).exists()
    # leaving again: back to the course page with a message, not an error
    assert client.get(url("enrol_leave", course)).status_code == 302


def test_htmx_swaps_the_panel_in_place(client, course):
    client.force_login(UserFactory())
    response = client.post(url("enrol", course), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="enrol-panel"')
    assert "You are enrolled in Geology." in html and "<html" not in html


def test_anonymous_visitors_are_asked_to_sign_in(client, course):
    page = client.get(url("detail", course)).content.decode()
    assert "Sign in to enrol" in page
    assert client.post(url("enrol", course)).status_code == 302
    assert not CourseMembership.objects.exists()


def test_a_wrong_key_is_a_400_page_with_the_reason(client, course):
    course.enrolment, course.enrolment_key = Course.Enrolment.KEY, "granite"
    course.save()
    client.force_login(UserFactory())
    assert 'name="key"' in panel(client, course)
    wrong = client.post(url("enrol", course), {"key": "basalt"})
    assert wrong.status_code == 400
    assert "That enrolment key is not right" in wrong.content.decode()
    assert 'aria-invalid="true"' in wrong.content.decode()
    htmx = client.post(url("enrol", course), {"key": "basalt"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "not right" in htmx.content.decode()
    assert client.post(url("enrol", course), {"key": "granite"}).status_code == 302
    assert CourseMembership.objects.get().source == "key"


def test_a_full_course_offers_the_waiting_list(client, course):
    course.capacity = 1
    course.save()
    client.force_login(UserFactory())
    client.post(url("enrol", course))
    waiting = UserFactory()
    client.force_login(waiting)
    html = panel(client, course)
    assert "This course is full" in html and "Join the waiting list" in html
    full = client.post(url("enrol", course))
    assert full.status_code == 409
    assert client.post(url("waitlist_join", course)).status_code == 302
    assert "number 1 in line" in panel(client, course)
    assert client.post(url("waitlist_leave", course)).status_code == 302
    assert not WaitlistEntry.objects.exists()


def test_manual_courses_and_missing_prerequisites_explain_themselves(client, course):
    client.force_login(UserFactory())
    course.enrolment = Course.Enrolment.MANUAL
    course.save()
    assert "Instructors and managers enrol people" in panel(client, course)
    assert client.post(url("enrol", course)).status_code == 403
    course.enrolment = Course.Enrolment.OPEN
    course.save()
    first = Course.objects.create(title="Minerals", slug="min", status=Course.Status.PUBLISHED)
    course.prerequisites.add(first)
    html = panel(client, course)
    assert "Complete “Minerals”" in html and url("detail", first) in html


def test_teachers_see_their_role_without_a_leave_button(client, course, teacher):
    client.force_login(teacher)
    html = panel(client, course)
    assert "You are instructor in this course." in html and "Leave course" not in html


# --- Staff ----------------------------------------------------------------------------------


def test_people_page_lists_filters_and_paginates_in_bounded_queries(client, course, teacher):
    cohort = Cohort.objects.create(course=course, name="North")
    learner = Role.objects.get(slug="learner")

    def add(n, **extra):
        for _ in range(n):
            CourseMembership.objects.create(
                course=course, user=UserFactory(), role=learner, **extra
            )

    add(2, cohort=cohort)
    client.force_login(teacher)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("people", course)).status_code == 200
    add(40, cohort=cohort, ends_at=timezone.now() + timedelta(days=3))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("people", course))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    html = response.content.decode()
    assert "Page 1 of 2" in html and "43 in all" in html
    filtered = client.get(url("people", course), {"cohort": cohort.public_id, "q": "zzz"})
    assert "Nobody matches these filters" in filtered.content.decode()
    only_teacher = client.get(url("people", course), {"role": "instructor"}).content.decode()
    assert "teacher@example.org" in only_teacher and "1 in all" in only_teacher


def test_waitlist_tab_and_taking_someone_off(client, course, teacher):
    course.capacity = 0
    course.save()
    entry = WaitlistEntry.objects.create(course=course, user=UserFactory(email="w@example.org"))
    client.force_login(teacher)
    tab = client.get(url("people", course), {"tab": "waitlist"}).content.decode()
    assert "w@example.org" in tab and "Waiting list (1)" in tab
    remove = url("people_waitlist_remove", course, entry.user.public_id)
    confirm = client.get(remove)
    assert confirm.status_code == 200 and b"Take off the waiting list" in confirm.content
    assert client.post(remove).status_code == 302
    assert not WaitlistEntry.objects.exists()
    assert AuditEvent.objects.get(action="enrolment.waitlist_left").actor == teacher


def test_learners_and_outsiders_cannot_open_the_people_pages(client, course):
    learner = UserFactory()
    CourseMembership.objects.create(
        course=course, user=learner, role=Role.objects.get(slug="learner")
    )
    client.force_login(learner)
    for name in ("people", "people_add", "people_import", "cohorts"):
        assert client.get(url(name, course)).status_code == 403


def test_adding_a_person_with_errors_beside_the_fields(client, course, teacher):
    client.force_login(teacher)
    unknown = client.post(
        url("people_add", course), {"email": "ghost@example.org", "role": "learner"}
    )
    assert unknown.status_code == 400
    assert "No active account uses" in unknown.content.decode()
    person = UserFactory(email="kim@example.org")
    course.capacity = 0
    course.save()
    full = client.post(url("people_add", course), {"email": person.email, "role": "learner"})
    assert full.status_code == 400 and "The course is full" in full.content.decode()
    added = client.post(
        url("people_add", course),
        {"email": person.email, "role": "learner", "override_capacity": "on"},
    )
    assert added.status_code == 302
    assert CourseMembership.objects.get(user=person).source == "manual"


def test_editing_and_removing_a_member(client, course, teacher):
    person = UserFactory(email="lee@example.org")
    CourseMembership.objects.create(
        course=course, user=person, role=Role.objects.get(slug="learner")
    )
    cohort = Cohort.objects.create(course=course, name="South")
    client.force_login(teacher)
    edit = url("people_member", course, person.public_id)
    assert client.get(edit).status_code == 200
    day = timezone.localdate() + timedelta(days=9)
    saved = client.post(edit, {"role": "learner", "cohort": cohort.pk, "ends_at": day.isoformat()})
    assert saved.status_code == 302
    membership = CourseMembership.objects.get(user=person)
    assert membership.cohort == cohort
    assert timezone.localtime(membership.ends_at).date() == day
    past = client.post(edit, {"role": "learner", "ends_at": "2001-01-01"})
    assert past.status_code == 400 and "cannot be in the past" in past.content.decode()
    remove = url("people_remove", course, person.public_id)
    assert b"Remove from the course" in client.get(remove).content
    assert client.post(remove).status_code == 302
    assert not CourseMembership.objects.filter(user=person).exists()


def test_cohort_pages_create_rename_delete(client, course, teacher):
    client.force_login(teacher)
    assert "No cohorts yet" in client.get(url("cohorts", course)).content.decode()
    assert client.post(url("cohorts", course), {"name": "Red"}).status_code == 302
    clash = client.post(url("cohorts", course), {"name": "red"})
    assert clash.status_code == 400 and "already a cohort" in clash.content.decode()
    cohort = Cohort.objects.get()
    edit = url("cohort_edit", course, cohort.public_id)
    assert client.post(edit, {"name": "Blue"}).status_code == 302
    delete = url("cohort_delete", course, cohort.public_id)
    assert b"Delete the cohort Blue?" in client.get(delete).content
    assert client.post(delete).status_code == 302
    assert not Cohort.objects.exists()


def test_csv_upload_preview_apply_and_dry_run(client, course, teacher):
    UserFactory(email="ada@example.org")
    client.force_login(teacher)
    body = b"email,cohort\nada@example.org,Team\nghost@example.org,\n"
    dry = client.post(
        url("people_import", course),
        {"file": SimpleUploadedFile("a.csv", body), "dry_run": "on"},
    )
    assert dry.status_code == 200
    assert "Dry run" in dry.content.decode() and not EnrolmentImport.objects.exists()

    kept = client.post(url("people_import", course), {"file": SimpleUploadedFile("a.csv", body)})
    assert kept.status_code == 302
    imp = EnrolmentImport.objects.get()
    preview = client.get(kept["Location"]).content.decode()
    assert "Will enrol" in preview and "Unknown user" in preview and "Apply: enrol 1" in preview
    errors_only = client.get(kept["Location"], {"show": "error"}).content.decode()
    assert "ghost@example.org" in errors_only and "ada@example.org" not in errors_only
    applied = client.post(kept["Location"], follow=True).content.decode()
    assert "Import applied: 1 enrolled" in applied
    assert CourseMembership.objects.filter(course=course, user__email="ada@example.org").exists()
    imp.refresh_from_db()
    assert imp.status == "applied"

    again = client.post(url("people_import", course), {"file": SimpleUploadedFile("a.csv", body)})
    rerun = client.get(again["Location"]).content.decode()
    assert "Nothing to change" in rerun


def test_csv_upload_errors_are_400(client, course, teacher, settings):
    client.force_login(teacher)
    latin = client.post(
        url("people_import", course),
        {"file": SimpleUploadedFile("a.csv", "email\nzoë@x.org\n".encode("latin-1"))},
    )
    assert latin.status_code == 400 and "not UTF-8" in latin.content.decode()
    settings.UPLOAD_MAX_CSV_KB = 1
    big = client.post(
        url("people_import", course),
        {"file": SimpleUploadedFile("a.csv", b"email\n" + b"a@example.org\n" * 200)},
    )
    assert big.status_code == 400 and "larger than 1 KB" in big.content.decode()
    assert not EnrolmentImport.objects.exists()


def test_a_large_import_is_applied_in_the_background(
    client, course, teacher, monkeypatch, django_capture_on_commit_callbacks
):
    from syllabus.courses import services_enrolment

    monkeypatch.setattr(services_enrolment, "IMPORT_INLINE_CHANGES", 0)
    UserFactory(email="ada@example.org")
    client.force_login(teacher)
    kept = client.post(
        url("people_import", course),
        {"file": SimpleUploadedFile("a.csv", b"email\nada@example.org\n")},
    )
    page = kept["Location"]
    with django_capture_on_commit_callbacks() as queued:
        answer = client.post(page, follow=True).content.decode()
    assert "being applied in the background" in answer
    assert 'id="import-queued"' in answer and "Apply:" not in answer
    poll = client.get(page, {"poll": "1"}, HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and b"import-queued" in poll.content
    for callback in queued:
        callback()
    done = client.get(page, {"poll": "1"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    assert "Import applied" in client.get(page).content.decode()


def test_moving_selected_members_into_a_cohort(client, course, teacher):
    learner = Role.objects.get(slug="learner")
    people = [UserFactory() for _ in range(3)]
    for person in people:
        CourseMembership.objects.create(course=course, user=person, role=learner)
    cohort = Cohort.objects.create(course=course, name="East")
    client.force_login(teacher)
    page = client.get(url("people", course)).content.decode()
    assert f'value="{people[0].public_id}"' in page and "Move selected" in page
    moved = client.post(
        url("people_cohort", course),
        {
            "members": [people[0].public_id, people[1].public_id],
            "cohort": cohort.public_id,
            "back": "q=&role=learner",
        },
    )
    assert moved.status_code == 302 and moved["Location"].endswith("?role=learner")
    assert set(CourseMembership.objects.filter(cohort=cohort).values_list("user", flat=True)) == {
        people[0].pk,
        people[1].pk,
    }
    assert AuditEvent.objects.filter(action="enrolment.updated").count() == 2
    client.post(url("people_cohort", course), {"members": [people[0].public_id], "cohort": "none"})
    assert CourseMembership.objects.filter(cohort=cohort).count() == 1
    nothing = client.post(url("people_cohort", course), {"cohort": cohort.public_id}, follow=True)
    assert "Select the people to move first" in nothing.content.decode()


def test_waitlist_tab_and_cohorts_page_use_bounded_queries(client, course, teacher):
    course.capacity = 0
    course.save()
    client.force_login(teacher)

    def add(n):
        for i in range(n):
            WaitlistEntry.objects.create(course=course, user=UserFactory())
            Cohort.objects.create(course=course, name=f"C{Cohort.objects.count()}-{i}")

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(url("people", course), {"tab": "waitlist"})
        client.get(url("cohorts", course))
    add(30)
    with CaptureQueriesContext(connection) as many:
        waitlist = client.get(url("people", course), {"tab": "waitlist"})
        client.get(url("cohorts", course))
    assert len(many) == len(few)
    assert "Page 1 of 2" in waitlist.content.decode()
