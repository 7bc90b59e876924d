"""Notifications in Spanish: the pages follow the page's language, and the emails sent by
jobs follow each recipient's saved language (User.language), not the worker's."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from syllabus.communication.models import Notification, NotificationPreference
from syllabus.communication.services import (
    notifications_email_digest,
    notifications_email_immediate,
    preference_set,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


def test_a_spanish_readers_notification_email_is_in_spanish():
    # given: one reader who chose Spanish, one with no choice (the site default, English)
    spanish = UserFactory(email="ana@example.org", language="es")
    english = UserFactory(email="ben@example.org")
    ids = [
        Notification.objects.create(recipient=person, kind="k", title="Quiz 1", url="/x/").pk
        for person in (spanish, english)
    ]
    # when: the job runs (no request, so no active language of its own)
    sent = notifications_email_immediate(notification_ids=ids)
    # then
    assert sent == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "Ábrela: http" in by_address["ana@example.org"].body
    assert "Todas tus notificaciones:" in by_address["ana@example.org"].body
    assert "Open it: http" in by_address["ben@example.org"].body
    assert "Todas" not in by_address["ben@example.org"].body


@time_machine.travel(NOW, tick=False)
def test_a_spanish_readers_digest_has_a_spanish_subject_body_and_dates():
    reader = UserFactory(email="ana@example.org", full_name="Ana", language="es")
    preference_set(user=reader, email_mode=NotificationPreference.EmailMode.DAILY_DIGEST)
    for i in range(2):
        Notification.objects.create(recipient=reader, kind="k", title=f"Aviso {i}", url="/x/")
    # when: the worker itself runs in English
    with translation.override("en"):
        assert notifications_email_digest(user_id=reader.pk) == 2
    # then
    message = mail.outbox[0]
    assert message.subject.endswith("Tu resumen diario: 2 notificaciones nuevas")
    assert message.body.startswith("Hola, Ana:")
    assert "desde tu último resumen (2 nuevas)" in message.body
    assert "(26/11/2026 09:30)" in message.body  # Spanish short date and time
    # and the worker's language is left as it was
    assert translation.get_language() == "en"


@time_machine.travel(NOW, tick=False)
def test_the_notifications_page_in_spanish(client, learner):
    Notification.objects.create(recipient=learner, kind="k", title="Quiz 1", url="/x/")
    client.force_login(learner)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<h1" in page and ">Notificaciones</h1>" in page
    assert "Marcar todas como leídas" in page
    assert "26 de noviembre de 2026" in page


def test_marking_all_read_answers_in_spanish(client, learner):
    Notification.objects.create(recipient=learner, kind="k", title="Quiz 1", url="/x/")
    client.force_login(learner)
    response = client.post("/notifications/read-all/", HTTP_ACCEPT_LANGUAGE="es", follow=True)
    assert "Se marcó 1 notificación como leída." in response.content.decode()
