"""The gradebook in Spanish: the grid and the learner's page, a localized date and decimal
comma, and service messages (a bad scale, an import row) in Spanish."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from syllabus.grades import services
from syllabus.grades.imports import import_preview, parse_grades_csv
from syllabus.grades.models import GradeItem, LearnerVisibility
from syllabus.grades.tests.conftest import make_item

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


def _spanish(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(user)
    return client


@time_machine.travel(NOW, tick=False)
def test_the_gradebook_is_in_spanish_with_a_decimal_comma_and_a_local_date(
    course, instructor, student
):
    quiz = make_item(course, title="Quiz 1", max_points="10")
    make_item(
        course,
        title="Essay",
        max_points="20",
        learner_visibility=LearnerVisibility.AFTER,
        learner_visible_from=NOW + timedelta(days=3),
    )
    services.grade_enter(actor=instructor, item=quiz, learner=student, points="7.5")
    html = _spanish(instructor).get(reverse("grades:gradebook", args=[course.public_id]))
    text = html.content.decode()
    assert "<h1>Libro de calificaciones</h1>" in text
    assert "1 estudiante · 2 elementos" in text
    assert "Cómo se calculan los totales" in text
    assert "7,50" in text  # the decimal comma
    assert "los estudiantes lo ven desde el 29/11/2026" in text
    assert "Gradebook" not in text.split("<main", 1)[1]


@time_machine.travel(NOW, tick=False)
def test_a_learner_sees_their_grades_in_spanish(course, instructor, student):
    make_item(
        course,
        title="Essay",
        max_points="20",
        learner_visibility=LearnerVisibility.AFTER,
        learner_visible_from=NOW + timedelta(days=3),
    )
    text = _spanish(student).get(reverse("grades:mine_course", args=[course.public_id]))
    text = text.content.decode()
    assert "Mis calificaciones en Oceanography" in text
    assert "Calificación del curso: aún sin calificación" in text
    assert "Aún no publicada" in text
    assert "29 de noviembre de 2026" in text  # DATETIME_FORMAT in Spanish


def test_an_override_message_and_a_bad_scale_are_in_spanish(course, instructor, student):
    item = make_item(course, title="Quiz 1", max_points="10")
    client = _spanish(instructor)
    url = reverse("grades:override", args=[item.public_id, student.public_id])
    response = client.post(url, {"points": "15", "reason": "Revisado"})
    assert "Los puntos deben estar entre 0 y 10.00 en «Quiz 1»." in response.content.decode()
    response = client.post(url, {"points": "9", "reason": "Revisado"}, follow=True)
    assert "Calificación sustituida para" in response.content.decode()
    bad = client.post(reverse("grades:scale", args=[course.public_id]), {"scale": "A 90\nB 95"})
    assert "La letra más baja debe empezar en el 0 %" in bad.content.decode()


def test_import_rows_and_source_kinds_speak_spanish(course, student):
    make_item(course, title="Lab", max_points="10")
    rows = parse_grades_csv(
        f"email,item,points\n{student.email},Lab,12\nnobody@example.com,Lab,1\n"
    )
    with translation.override("es"):
        preview = import_preview(course, rows)
        assert [row.message for row in preview.rows] == [
            "Fuera de rango: los puntos van de 0 a 10.00.",
            "Estudiante desconocido: ninguna cuenta tiene este correo electrónico.",
        ]
        assert str(GradeItem.Kind.QUIZ.label) == "Cuestionario"
        with pytest.raises(ValidationError) as caught:
            services.manual_item_create(actor=None, course=course, title="", max_points="5")
        assert caught.value.message_dict["title"] == [
            "Un elemento necesita un título de 1 a 200 caracteres."
        ]
    assert Decimal("7.5") == Decimal("7.50")
