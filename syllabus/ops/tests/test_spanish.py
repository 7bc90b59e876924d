"""The ops pages in Spanish: words, plurals, numbers and dates follow the page's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from syllabus.audit.services import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


@time_machine.travel(NOW, tick=False)
def test_the_export_log_in_spanish_has_spanish_plurals_and_dates():
    officer = UserFactory(email="sec@example.org", site_roles=["security_officer"])
    record(actor=officer, action="export.run", details={"export": "gradebook", "rows": 1234})
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        record(actor=officer, action="export.run", details={"export": "gradebook", "rows": 1})
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(officer)
    # when
    page = client.get("/ops/exports/").content.decode()
    # then
    assert "Exportaciones de datos" in page
    assert "2 exportaciones del" in page
    assert "de noviembre de 2026</time>" in page  # DATE_FORMAT in Spanish
    assert "1\xa0235 filas en total."  # Spanish groups thousands with a space in page


def test_the_manage_page_says_so_in_spanish_when_there_is_nothing_to_manage(learner):
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(learner)
    page = client.get("/ops/manage/").content.decode()
    assert "Tus roles no te dan herramientas de administración." in page
