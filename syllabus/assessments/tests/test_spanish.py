"""Quizzes in Spanish: the quiz panel and attempt page, a result with verdicts, a decimal
comma and a localized date, the timer's words for the script, and grading messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from syllabus.assessments.grading import ResponseError, validate_response
from syllabus.assessments.models import Question
from syllabus.assessments.services_attempts import (
    open_problem,
    save_answer,
    start_attempt,
    submit_attempt,
)
from syllabus.assessments.tests.attempt_factories import learner_in, make_quiz, right, wrong

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


def _spanish(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(user)
    return client


def test_the_quiz_panel_and_the_attempt_page_are_in_spanish():
    quiz = make_quiz(kinds=("single", "true_false"), time_limit_minutes=20, attempts_allowed=2)
    learner = learner_in(quiz.course)
    client = _spanish(learner)
    panel = client.get(reverse("learning:lesson", args=[quiz.lesson.public_id])).content.decode()
    assert "Empezar el cuestionario" in panel
    assert "20 minutos" in panel and "2 permitidos, quedan 2" in panel
    attempt = start_attempt(user=learner, quiz=quiz)
    page = client.get(reverse("assessments:attempt_take", args=[attempt.public_id]))
    html = page.content.decode()
    assert "Pregunta 1 de 2" in html and "Verdadero" in html and "Falso" in html
    assert "Enviar el intento" in html
    # The countdown script reads its words from the page, in the reader's language.
    assert 'data-text-time-up="Se acabó el tiempo: enviando las respuestas que guardaste."' in html


@time_machine.travel(NOW, tick=False)
def test_a_result_shows_spanish_verdicts_a_decimal_comma_and_a_local_date():
    quiz = make_quiz(kinds=("single", "true_false", "numeric"), pass_percent=60)
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    save_answer(user=learner, attempt=attempt, position=2, response=wrong("true_false"))
    submit_attempt(user=learner, attempt=attempt)
    html = _spanish(learner).get(reverse("assessments:attempt_result", args=[attempt.public_id]))
    text = html.content.decode()
    assert "Enviado el <time" in text and "26 de noviembre de 2026" in text
    assert "Puntuación: <strong>1 de 3 (33,33%)</strong>" in text
    assert "No aprobado: la nota para aprobar es 60%." in text
    assert "Correcta" in text and "Incorrecta" in text and "Sin responder" in text
    assert 'class="quiz-result is-wrong"' in text  # styles follow the code, not the words


def test_grading_and_window_messages_speak_spanish():
    quiz = make_quiz(kinds=("single",))
    quiz.opens_at = NOW + timedelta(days=2)
    with translation.override("es"):
        code, sentence = open_problem(quiz, NOW)
        assert code == "quiz_not_open"
        assert sentence == "Este cuestionario se abre el 28 de noviembre de 2026 a las 09:00."
        with pytest.raises(ResponseError) as caught:
            validate_response({"kind": "numeric"}, {"value": "1,5"})
        assert str(Question.Kind.ESSAY.label) == "Redacción (calificada a mano)"
    assert "punto para los decimales" in caught.value.messages[0]
