"""Lesson pages, media, resume, dashboard and roster pages, with their query budgets."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syllabus.accounts.models import Role
from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa
from syllabus.audit.models import AuditEvent
from syllabus.courses.cache import invalidate_course
from syllabus.courses.models import Announcement, Cohort, Course
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.learning.selectors import lesson_url_maker
from syllabus.learning.services import lesson_complete, lesson_opened
from syllabus.learning.tests.conftest import enrol, make_course, make_lesson, make_module
from syllabus.privacy.selectors import current_policy_ids
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _lesson_url(lesson) -> str:
    return reverse("learning:lesson", kwargs={"public_id": lesson.public_id})


def _media_url(lesson, field) -> str:
    return reverse("learning:lesson_media", kwargs={"public_id": lesson.public_id, "field": field})


# --- Lesson page -------------------------------------------------------------------------------
# No deadline: the first example loads the URL configuration.
@hypothesis_settings(deadline=None)
@given(st.text(alphabet="0123456789abcdefghjkmnpqrstvwxyz", min_size=1, max_size=24))
def test_an_outline_lesson_url_is_what_reverse_gives(suffix):
    public_id = f"les_{suffix}"
    assert lesson_url_maker()(public_id) == reverse("learning:lesson", args=[public_id])


def test_text_lesson_page(student, lessons):
    response = _client(student).get(_lesson_url(lessons["intro"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Hi</h2>" in html
    assert "Mark as complete" in html
    assert 'aria-current="page"' in html
    assert "Locked: This lesson opens after you complete “Introduction”." in html
    assert 'aria-labelledby="outline-heading"' in html
    assert "Next: Watch this" in html
    # The outline's and the pager's links are the lessons' URLs.
    assert f'<a href="{_lesson_url(lessons["intro"])}" aria-current="page">' in html
    assert f'<a rel="next" href="{_lesson_url(lessons["video"])}">' in html
    assert LessonProgress.objects.filter(user=student, lesson=lessons["intro"]).exists()
    assert CourseProgress.objects.get(user=student).last_lesson == lessons["intro"]


def test_marking_complete_with_htmx_swaps_the_panel(student, lessons):
    client = _client(student)
    url = reverse("learning:lesson_complete", kwargs={"public_id": lessons["intro"].public_id})
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have completed this lesson." in html
    assert f'id="learn-state-{lessons["intro"].public_id}"' in html
    assert 'hx-swap-oob="true"' in html
    assert "25%" in html
    assert f'href="{_lesson_url(lessons["video"])}">Next: Watch this' in html
    assert "<html" not in html  # only the partial
    assert LessonProgress.objects.get(lesson=lessons["intro"]).completed_at is not None


def test_marking_complete_without_javascript_redirects_back(student, lessons):
    url = reverse("learning:lesson_complete", kwargs={"public_id": lessons["intro"].public_id})
    response = _client(student).post(url, follow=True)
    assert response.redirect_chain[-1][0] == _lesson_url(lessons["intro"])
    assert "is complete" in response.content.decode()
    assert "You have completed this lesson." in response.content.decode()


def test_an_uploaded_video_cannot_be_marked_complete_by_post(student, lessons):
    url = reverse("learning:lesson_complete", kwargs={"public_id": lessons["video"].public_id})
    response = _client(student).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert 'role="alert"' in response.content.decode()
    assert "watched 90%" in response.content.decode()
    response = _client(student).post(url, follow=True)
    assert "watched 90%" in response.content.decode()
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_video_lesson_page(student, lessons):
    video = lessons["video"]
    lesson_opened(user=student, lesson=video)
    LessonProgress.objects.filter(lesson=video).update(video_position_seconds=42.5)
    response = _client(student).get(_lesson_url(video))
    html = response.content.decode()
    assert f'<source src="{_media_url(video, "video")}" type="video/mp4">' in html
    assert '<track kind="captions"' in html and 'srclang="en"' in html and " default>" in html
    assert "<summary>Transcript</summary>" in html and "Hello and welcome." in html
    assert 'data-position="42.5"' in html
    assert f'data-progress-url="/api/v1/lessons/{video.public_id}/progress"' in html
    nonce = response.wsgi_request.csp_nonce
    assert f'video-progress.js" nonce="{nonce}"' in html
    assert "Mark as complete" not in html


def test_external_video_has_a_link_and_a_button(student, lessons):
    external = make_lesson(
        lessons["intro"].module,
        title="Talk",
        kind="video",
        video_url="https://video.example.org/talk",
        transcript="Words",
    )
    html = _client(student).get(_lesson_url(external)).content.decode()
    assert 'href="https://video.example.org/talk"' in html
    assert "Mark as complete" in html
    assert "<video" not in html


def test_quiz_lessons_show_their_body_without_a_button(student, lessons):
    quiz = make_lesson(lessons["intro"].module, title="Quiz", kind="quiz", body_html="<p>Q</p>")
    html = _client(student).get(_lesson_url(quiz)).content.decode()
    assert "<p>Q</p>" in html
    assert "Mark as complete" not in html
    assert "coming" not in html.lower()


def test_locked_lessons_answer_403_with_the_reason(student, lessons):
    response = _client(student).get(_lesson_url(lessons["after"]))
    assert response.status_code == 403
    assert "This lesson opens after you complete “Introduction”." in response.content.decode()
    assert not LessonProgress.objects.filter(lesson=lessons["after"]).exists()


def test_drafts_and_unknown_lessons_are_404(student, lessons):
    lessons["intro"].is_published = False
    lessons["intro"].save()
    client = _client(student)
    assert client.get(_lesson_url(lessons["intro"])).status_code == 404
    assert client.get("/learn/les_doesnotexist/").status_code == 404


def test_staff_preview_shows_drafts_and_records_nothing(teacher, lessons):
    lessons["intro"].is_published = False
    lessons["intro"].save()
    response = _client(teacher).get(_lesson_url(lessons["intro"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "viewing this lesson as course staff" in html and "<strong>draft</strong>" in html
    assert (
        reverse("learning:roster", kwargs={"public_id": lessons["intro"].course.public_id}) in html
    )
    assert "Mark as complete" not in html
    assert not LessonProgress.objects.exists()
    url = reverse("learning:lesson_complete", kwargs={"public_id": lessons["intro"].public_id})
    assert _client(teacher).post(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(lessons):
    response = Client().get(_lesson_url(lessons["intro"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lesson_page_queries_do_not_grow_with_the_outline(
    student, course, lessons, django_capture_on_commit_callbacks
):
    client = _client(student)
    client.get(_lesson_url(lessons["intro"]))  # fills the outline cache
    with CaptureQueriesContext(connection) as few:
        client.get(_lesson_url(lessons["intro"]))
    module = make_module(course, title="More")
    for n in range(20):
        make_lesson(module, title=f"Extra {n}")
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)
    client.get(_lesson_url(lessons["intro"]))  # rebuilds the outline once
    with CaptureQueriesContext(connection) as many:
        response = client.get(_lesson_url(lessons["intro"]))
    assert "Extra 19" in response.content.decode()
    assert len(many) == len(few)


# --- Media ---------------------------------------------------------------------------------------


def test_video_is_served_with_ranges(student, lessons):
    client = _client(student)
    response = client.get(_media_url(lessons["video"], "video"), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert response["Content-Range"].startswith("bytes 0-9/")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x00\x18"
    response = client.get(_media_url(lessons["video"], "video"), HTTP_RANGE="bytes=99999-")
    assert response.status_code == 416
    captions = client.get(_media_url(lessons["video"], "captions"))
    assert captions["Content-Type"].startswith("text/vtt")


def test_behind_a_cdn_the_video_comes_from_signed_cdn_urls(student, lessons, settings):
    # SYLLABUS_MEDIA_URL: the page has checked access; the bytes (each Range request) come
    # from the CDN, whose origin is our /media/ view, without a session or a query.
    settings.MEDIA_URL = "https://cdn.example.org/media/"
    settings.MEDIA_CDN = True
    video = lessons["video"]
    html = _client(student).get(_lesson_url(video)).content.decode()
    cdn = f"https://cdn.example.org/media/{video.video.name}?token="
    assert f'<source src="{cdn}' in html
    captions = f'src="https://cdn.example.org/media/{video.captions.name}?token='
    assert captions in html
    signed = html.split('<source src="')[1].split('"')[0].replace("&amp;", "&")
    origin = Client().get(signed.removeprefix("https://cdn.example.org"), HTTP_RANGE="bytes=0-9")
    assert origin.status_code == 206
    assert "public" in origin["Cache-Control"]


def test_opening_the_document_completes_a_file_lesson(student, lessons):
    client = _client(student)
    url = _media_url(lessons["doc"], "file")
    assert client.head(url).status_code == 200
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert LessonProgress.objects.get(lesson=lessons["doc"]).completed_at is not None


def test_media_of_the_wrong_kind_or_for_outsiders(student, lessons):
    client = _client(student)
    assert client.get(_media_url(lessons["intro"], "video")).status_code == 404
    assert client.get(_media_url(lessons["video"], "file")).status_code == 404
    assert client.get(_media_url(lessons["video"], "secrets")).status_code == 404
    outsider = _client(UserFactory())
    assert outsider.get(_media_url(lessons["doc"], "file")).status_code == 403
    assert not LessonProgress.objects.exists()


# --- Resume ---------------------------------------------------------------------------------


def _home(course) -> str:
    return reverse("learning:course_home", kwargs={"public_id": course.public_id})


def test_course_home_resumes_where_the_learner_left(
    student, course, lessons, django_capture_on_commit_callbacks
):
    client = _client(student)
    assert client.get(_home(course))["Location"] == _lesson_url(lessons["intro"])
    lesson_complete(user=student, lesson=lessons["intro"])
    lesson_opened(user=student, lesson=lessons["doc"])
    assert client.get(_home(course))["Location"] == _lesson_url(lessons["doc"])
    # the last lesson became a draft: the first open lesson not completed yet
    lessons["doc"].is_published = False
    lessons["doc"].save()
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)
    assert client.get(_home(course))["Location"] == _lesson_url(lessons["video"])


def test_course_home_for_outsiders_staff_and_closed_courses(teacher, course, lessons):
    outsider = _client(UserFactory())
    response = outsider.get(_home(course))
    assert response.status_code == 403 and "Enrol in this course" in response.content.decode()
    assert _client(teacher).get(_home(course))["Location"] == _lesson_url(lessons["intro"])
    draft = make_course(status=Course.Status.DRAFT)
    assert outsider.get(_home(draft)).status_code == 404


def test_course_home_when_nothing_is_open_yet(student):
    later = make_course(available_from=timezone.now() + timedelta(days=5))
    enrol(student, later)
    make_lesson(make_module(later), title="Day one")
    response = _client(student).get(_home(later))
    assert response.status_code == 200
    assert "No lesson of this course is open yet" in response.content.decode()
    assert "This course opens on" in response.content.decode()


# --- Dashboard ------------------------------------------------------------------------------

DASHBOARD = "/dashboard/"


def test_empty_dashboard_points_to_the_catalog(db):
    response = _client(UserFactory()).get(DASHBOARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "You are not enrolled in any course yet." in html
    assert reverse("courses:catalog") in html


def test_dashboard_shows_progress_next_lesson_due_dates_and_news(student, course, lessons):
    now = timezone.now()
    lessons["video"].due_at = now + timedelta(days=3)
    lessons["video"].save()
    lessons["after"].due_at = now + timedelta(days=30)  # too far
    lessons["after"].save()
    for n in range(7):
        Announcement.objects.create(course=course, title=f"News {n}", body="b")
    lesson_complete(user=student, lesson=lessons["intro"])
    html = _client(student).get(DASHBOARD).content.decode()
    assert '<progress class="learn-bar" max="100" value="25"' in html
    assert "25% complete · 1 of 4 required lessons" in html
    assert f'href="{_lesson_url(lessons["video"])}"' in html
    # On screen "Continue: <lesson>"; to a screen reader "Continue <course>: <lesson>", the
    # colon read once and kept against the course (an absolutely positioned hidden span
    # made Chromium's name "Continue <course> : <lesson>").
    assert (
        f'Continue<span class="visually-hidden"> {course.title}:</span>'
        f'<span aria-hidden="true">:</span> {lessons["video"].title}</a>'
    ) in html
    assert "Due in the next 14 days" in html
    assert "Wrap up" not in html  # due in 30 days
    assert "News 6" in html and "News 2" in html and "News 1" not in html
    newest = Announcement.objects.get(title="News 6")
    assert (
        reverse(
            "courses:announcement",
            kwargs={"public_id": course.public_id, "announcement_id": newest.public_id},
        )
        in html
    )
    assert "None yet" in html  # no completed course


def test_dashboard_lists_completed_courses(student, course, lessons):
    CourseProgress.objects.create(
        user=student, course=course, percent=100, completed_at=timezone.now()
    )
    html = _client(student).get(DASHBOARD).content.decode()
    assert "Completed courses" in html and "Completed on" in html
    assert "You have completed every course you are enrolled in." in html


def test_dashboard_changes_are_visible_on_the_next_request(
    student, course, lessons, django_capture_on_commit_callbacks
):
    client = _client(student)
    assert "0% complete" in client.get(DASHBOARD).content.decode()  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        lesson_complete(user=student, lesson=lessons["intro"])
    assert "25% complete" in client.get(DASHBOARD).content.decode()
    # the course changes: a lesson becomes optional, the summary follows
    lessons["video"].is_required = False
    lessons["video"].save()
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(course.pk)
    assert "33% complete · 1 of 3 required lessons" in client.get(DASHBOARD).content.decode()
    # a new enrolment shows at once
    other = make_course(title="Another course")
    enrol(student, other)
    assert "Another course" in client.get(DASHBOARD).content.decode()


def test_dashboard_summary_is_served_from_the_cache(student, lessons):
    client = _client(student)
    with CaptureQueriesContext(connection) as cold:
        client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as warm:
        client.get(DASHBOARD)
    assert len(warm) < len(cold)


def _enrol_in_courses(user, n):
    for _ in range(n):
        course = make_course()
        enrol(user, course)
        module = make_module(course)
        first = make_lesson(module, due_at=timezone.now() + timedelta(days=2))
        make_lesson(module, prerequisite=first)
        Announcement.objects.create(course=course, title="Hello", body="b")
        lesson_complete(user=user, lesson=first)


def test_dashboard_queries_do_not_grow_with_courses(db):
    few_user, many_user = UserFactory(), UserFactory()
    _enrol_in_courses(few_user, 3)
    _enrol_in_courses(many_user, 30)
    current_policy_ids()  # warm the per-site cache of the current privacy policies
    counts = []
    for user in (few_user, many_user):
        client = _client(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(DASHBOARD)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Roster --------------------------------------------------------------------------------------


def _roster(course, **params) -> str:
    return reverse("learning:roster", kwargs={"public_id": course.public_id})


def _add_learners(course, lessons, n, cohort=None):
    users = []
    for i in range(n):
        user = UserFactory(full_name=f"Learner {i:02d}")
        membership = enrol(user, course)
        membership.cohort = cohort
        membership.save()
        if i % 2:
            lesson_complete(user=user, lesson=lessons["intro"])
        users.append(user)
    return users


def test_roster_lists_learners_with_progress_sorted_and_filtered(teacher, course, lessons):
    morning = Cohort.objects.create(course=course, name="Morning")
    _add_learners(course, lessons, 2, cohort=morning)
    _add_learners(course, lessons, 1)
    client = _client(teacher)
    response = client.get(_roster(course), {"sort": "-percent"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 learners" in html and 'aria-sort="descending"' in html
    assert "<caption>" in html and 'scope="col"' in html
    assert html.index("25%") < html.index("0%")
    response = client.get(_roster(course), {"cohort": morning.public_id})
    assert "2 learners in this cohort" in response.content.decode()
    response = client.get(_roster(course), {"cohort": "none"})
    assert "1 learner in this cohort" in response.content.decode()
    # unknown sorts fall back to the name
    response = client.get(_roster(course), {"sort": "user__password"})
    assert response.status_code == 200 and 'aria-sort="ascending"' in response.content.decode()


def test_roster_is_for_course_staff(student, course):
    assert _client(student).get(_roster(course)).status_code == 403
    assert _client(UserFactory(site_roles=["manager"])).get(_roster(course)).status_code == 200


def test_roster_queries_do_not_grow_with_learners(teacher, course, lessons):
    client = _client(teacher)
    _add_learners(course, lessons, 3)
    client.get(_roster(course))  # warm the per-site caches (current privacy policies...)
    with CaptureQueriesContext(connection) as few:
        client.get(_roster(course))
    _add_learners(course, lessons, 27)
    with CaptureQueriesContext(connection) as many:
        client.get(_roster(course))
    assert len(few) == len(many)


def _export(course) -> str:
    return reverse("learning:roster_export", kwargs={"public_id": course.public_id})


def test_roster_export_is_audited_and_safe_for_spreadsheets(course, lessons):
    admin = UserFactory(site_roles=["admin"])
    learner = UserFactory(full_name="=HYPERLINK(1)", email="x@example.org")
    enrol(learner, course)
    lesson_complete(user=learner, lesson=lessons["intro"])
    client = _client(admin)
    mark_recent_mfa(client, admin, method="password")
    response = client.get(_export(course), {"sort": "-percent"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["email", "full_name", "cohort"]
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][4:7] == ["25", "1", "4"]
    event = AuditEvent.objects.get(action="export.run")
    assert event.details["export"] == "course_roster"
    assert event.details["course"] == course.public_id and event.details["rows"] == 1


def test_roster_export_needs_export_run_and_a_recent_check(teacher, course):
    client = _client(teacher)
    mark_recent_mfa(client, teacher, method="password")
    assert client.get(_export(course)).status_code == 403  # instructors lack export.run
    exporter = Role.objects.create(
        slug="exporter",
        name="Exporter",
        scope="course",
        permissions=["course.view_learners", "export.run"],
    )
    person = UserFactory()
    membership = enrol(person, course)
    membership.role = exporter
    membership.save()
    client = _client(person)
    response = client.get(_export(course))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert not AuditEvent.objects.filter(action="export.run").exists()
    mark_recent_mfa(client, person, method="password")
    assert client.get(_export(course)).status_code == 200


def test_file_lesson_page_offers_the_download(student, lessons):
    html = _client(student).get(_lesson_url(lessons["doc"])).content.decode()
    assert f'href="{_media_url(lessons["doc"], "file")}" download' in html
    assert "Download handout.pdf" in html
    assert "Opening the document completes this lesson." in html
    assert "Mark as complete" not in html


def test_course_home_after_the_enrolment_ended(course, lessons):
    former = UserFactory()
    enrol(former, course, ends_at=timezone.now() - timedelta(days=1))
    response = _client(former).get(_home(course))
    assert response.status_code == 403
    assert "Your enrolment in this course has ended." in response.content.decode()
