"""Assignments in Spanish: the learner's panel (late policy in words, a localized due
date), a graded late submission with a decimal comma, and refusals in Spanish."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from syllabus.assignments import late, services
from syllabus.assignments.models import Assignment
from syllabus.assignments.tests.conftest import make_assignment
from syllabus.communication.models import Notification

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


def _spanish(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(user)
    return client


def _lesson_url(assignment: Assignment) -> str:
    return reverse("learning:lesson", args=[assignment.lesson.public_id])


@time_machine.travel(NOW, tick=False)
def test_the_learners_panel_is_in_spanish_with_a_local_due_date(course, student):
    assignment = make_assignment(
        course, due_at=NOW + timedelta(days=3), penalty_percent_per_day=Decimal("12.5")
    )
    page = _spanish(student).get(_lesson_url(assignment)).content.decode()
    assert "Todavía no has entregado nada." in page
    assert "Entregar tu trabajo" in page
    assert "10 puntos" in page
    assert "29 de noviembre de 2026" in page  # the due date, in Spanish
    assert "una penalización del 12,5% del máximo por cada día de retraso empezado" in page


def test_a_late_graded_submission_shows_the_penalty_in_spanish(course, student, instructor):
    assignment = make_assignment(
        course, due_at=NOW, penalty_percent_per_day=Decimal("12.5"), max_points=Decimal("10")
    )
    with time_machine.travel(NOW + timedelta(hours=30), tick=False):
        submission = services.submission_create(user=student, assignment=assignment, text="Mía")
    services.submission_grade(actor=instructor, submission=submission, points="9.5")
    page = _spanish(student).get(_lesson_url(assignment)).content.decode()
    assert "con 2 días de retraso (penalización del 25%)" in page
    assert "Calificación: 7 de 10 puntos" in page
    assert "Penalización por retraso: \u22122,5 puntos (2 días de retraso, 25% del máximo)" in page


def test_refusals_and_the_late_policy_speak_spanish(course, student, assignment):
    client = _spanish(student)
    url = reverse("assignments:submit", args=[assignment.lesson.public_id])
    response = client.post(url, {"text": ""})
    assert "Escribe tu respuesta" in response.content.decode()
    dates = late.deadline_for(policy=late.REFUSE, due_at=NOW, cutoff_at=None)
    with translation.override("es"):
        words = late.policy_in_words(
            policy=late.REFUSE,
            per_day=Decimal("0"),
            cap=Decimal("0"),
            deadline=dates,
            allow_resubmission=False,
        )
        refusal = late.submission_refusal(
            deadline=dates,
            now=NOW + timedelta(days=1),
            has_previous=False,
            allow_resubmission=False,
        )
    assert words == "No se acepta el trabajo con retraso. Solo puedes entregar una vez."
    assert refusal.startswith("Esta tarea se cerró el 26 de noviembre de 2026")


def test_the_graded_notification_is_in_the_learners_language(course, student, instructor):
    student.language = "es"
    student.save(update_fields=["language"])
    assignment = make_assignment(course, due_at=NOW + timedelta(days=3))
    submission = services.submission_create(user=student, assignment=assignment, text="Mía")
    with translation.override("en"):  # the grader works in English
        services.submission_grade(actor=instructor, submission=submission, points="7.5")
    notification = Notification.objects.get(recipient=student, kind=services.NOTIFICATION_KIND)
    assert notification.title == f"{assignment.lesson.title}: calificado"
    assert (
        notification.body == f"Tu trabajo en «{assignment.lesson.title}» obtuvo 7,5 de 10 puntos."
    )
