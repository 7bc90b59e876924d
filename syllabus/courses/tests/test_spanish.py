"""The course pages, forms and messages in Spanish: chosen from the browser's language,
with dates and numbers written the Spanish way, and English unchanged for everyone else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from syllabus.accounts.models import Role
from syllabus.courses import csv_import, services
from syllabus.courses.models import Course
from syllabus.courses.role_names import role_name
from syllabus.courses.services_enrolment import enrol_self, leave_course, waitlist_join
from syllabus.courses.tests.catalog_helpers import make_course, member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OPENS = datetime(2030, 11, 26, 9, 30, tzinfo=UTC)


def spanish(client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    return response.content.decode()


def test_the_catalog_speaks_spanish_with_spanish_dates_and_plurals(client):
    make_course("Data course", hours="1.5", capacity=10, learners=3)
    later = make_course("Later course")
    Course.objects.filter(pk=later.pk).update(available_from=OPENS)

    page = spanish(client, "/courses/")

    assert "<h1>Catálogo de cursos</h1>" in page
    assert "2 cursos" in page
    assert "Principiante" in page  # the level's label
    assert "1,5 horas" in page  # a decimal comma
    assert "Quedan 7" in page
    assert "26 de noviembre de 2030" in page  # when the later course starts
    assert "Course catalog" not in page


def test_one_course_is_singular_in_spanish(client):
    make_course("Only course")
    assert "1 curso</h2>" in spanish(client, "/courses/").replace("\n", "").replace("  ", "")


def test_the_course_page_in_spanish_even_after_an_english_reader_filled_the_cache(client):
    course = make_course(
        "Data course", summary="Learn data.", hours="2", capacity=10, learners=3, modules=1
    )
    Course.objects.filter(pk=course.pk).update(available_until=OPENS)
    english = client.get(f"/courses/{course.public_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "About this course" in english.content.decode()
    assert "Beginner" in english.content.decode()

    page = spanish(client, f"/courses/{course.public_id}/")

    assert "Sobre este curso" in page
    assert "Alrededor de 2 horas" in page
    assert "Quedan 7 de 10" in page
    assert "Principiante" in page and "Beginner" not in page
    assert "Cierra" in page and "26 de noviembre de 2030" in page
    assert "Temario del curso" in page


def test_english_stays_the_default(client):
    make_course("Data course")
    page = client.get("/courses/").content.decode()
    assert "<h1>Course catalog</h1>" in page and "1 course" in page


def test_a_service_refusal_in_spanish():
    with translation.override("es"), pytest.raises(ValidationError) as refusal:
        services.course_create(actor=None, title=" ")
    assert refusal.value.messages == ["Ponle un título al curso."]


def test_a_csv_import_error_in_spanish():
    with translation.override("es"), pytest.raises(csv_import.CsvError) as refusal:
        csv_import.decode(b"\xff\xfe\xfa", max_bytes=1024)
    assert "no es texto UTF-8" in str(refusal.value)


def test_a_flash_message_in_spanish(client):
    course = make_course("Open course")
    learner = UserFactory()
    client.force_login(learner)
    response = client.post(
        f"/courses/{course.public_id}/enrol/", HTTP_ACCEPT_LANGUAGE="es", follow=True
    )
    assert "Te has inscrito en Open course." in response.content.decode()


def test_the_place_email_is_in_the_promoted_learners_language(django_capture_on_commit_callbacks):
    course = make_course("Full course", capacity=1)
    leaving, waiting = UserFactory(), UserFactory(language="es", full_name="Ana")
    enrol_self(user=leaving, course=course)
    waitlist_join(user=waiting, course=course)
    mail.outbox.clear()
    # The person leaving reads English; the email follows its reader's language.
    with django_capture_on_commit_callbacks(execute=True):
        leave_course(user=leaving, course=course, base_url="https://lms.example.org/")
    [message] = mail.outbox
    assert message.subject.endswith("Tienes una plaza en Full course")
    assert message.body.startswith("Hola, Ana:")
    assert "ya estás inscrito" in message.body


def test_built_in_role_names_are_translated_and_renamed_roles_shown_as_written(client):
    course = make_course("Team course", learners=1, instructors=1)
    boss = UserFactory(full_name="Boss")
    member(course, boss, "instructor")
    client.force_login(boss)
    page = spanish(client, f"/courses/{course.public_id}/people/")
    assert "<td>Estudiante</td>" in page and "<td>Instructor</td>" in page
    assert ">Asistente docente</option>" in page

    Role.objects.filter(slug="learner").update(name="Apprentice")
    with translation.override("es"):
        assert role_name(Role.objects.get(slug="learner")) == "Apprentice"
        assert role_name(Role.objects.get(slug="teaching_assistant")) == "Asistente docente"
