"""The learner's pages and messages in Spanish, with Spanish dates; English unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import translation

from syllabus.learning import access
from syllabus.learning.tests.conftest import make_lesson, make_module

pytestmark = pytest.mark.django_db

OPENS = datetime(2030, 11, 26, 9, 30, tzinfo=UTC)


def _spanish_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(user)
    return client


def test_the_dashboard_in_spanish(student, lessons):
    page = _spanish_client(student).get("/dashboard/").content.decode()
    assert "<h1>Tu aprendizaje</h1>" in page
    assert "Cursos en curso" in page
    assert "0 de 4 lecciones obligatorias" in page
    assert "Your learning" not in page


def test_a_lesson_page_in_spanish_with_a_spanish_due_date(student, lessons):
    intro = lessons["intro"]
    intro.due_at = OPENS
    intro.save()
    page = _spanish_client(student).get(f"/learn/{intro.public_id}/").content.decode()
    assert "Lección de tipo Texto en Getting started" in page
    assert "entrega el" in page and "26 de noviembre de 2030 a las 09:30" in page
    assert "Marcar como completada" in page
    assert "Temario del curso" in page


def test_a_lock_reason_in_spanish_with_a_spanish_date(course):
    module = make_module(course, title="Later")
    lesson = make_lesson(module, title="Soon", available_from=OPENS)
    with translation.override("es"):
        reason = access.lock_reason(
            lesson=lesson,
            module_available_from=None,
            course_available_from=None,
            prerequisite=None,
            completed=set(),
            now=datetime(2030, 1, 1, tzinfo=UTC),
        )
    assert reason == "Esta lección abre el 26 de noviembre de 2030 a las 09:30."


def test_the_roster_in_spanish(teacher, student, lessons, course):
    page = _spanish_client(teacher).get(f"/learn/course/{course.public_id}/roster/")
    text = page.content.decode()
    assert "Lista del curso y progreso" in text
    assert "1 estudiante" in text and "4 lecciones obligatorias" in text
    assert "Sin empezar" in text


def test_completing_a_lesson_says_so_in_spanish(student, lessons):
    intro = lessons["intro"]
    response = _spanish_client(student).post(f"/learn/{intro.public_id}/complete/", follow=True)
    assert "«Introduction» está completada." in response.content.decode()


def test_english_is_unchanged(student, lessons):
    client = Client()
    client.force_login(student)
    page = client.get("/dashboard/").content.decode()
    assert "<h1>Your learning</h1>" in page and "0 of 4 required lessons" in page
