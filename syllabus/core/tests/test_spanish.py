"""Core pieces in Spanish: the home page, relative times, and emails rendered in their
recipient's language whatever the worker's language is."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from syllabus.core.email import in_language_of, language_of
from syllabus.core.templatetags.syllabus_time import ago

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_home_page_in_spanish(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in page
    assert "Te damos la bienvenida a" in page
    assert "Saltar al contenido principal" in page


@time_machine.travel(NOW, tick=False)
def test_relative_times_in_spanish():
    with translation.override("es"):
        assert ago(NOW) == "ahora mismo"
        assert ago(NOW - dt.timedelta(minutes=5)) == "hace 5\xa0minutos"
    with translation.override("en"):
        assert ago(NOW - dt.timedelta(minutes=5)) == "5\xa0minutes ago"


def test_a_message_is_written_in_its_recipients_language():
    class Person:
        language = "es"

    class Nobody:
        language = ""

    assert language_of(Person()) == "es"
    assert language_of(Nobody()) == "en"  # SYLLABUS_LANGUAGE_CODE
    assert language_of(None) == "en"
    with translation.override("en"):
        with in_language_of(Person()):
            assert translation.gettext("Sign in") == "Iniciar sesión"
        assert translation.get_language() == "en"


@pytest.mark.django_db
def test_an_error_page_says_its_language(client):
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 404
    assert '<html lang="es">' in page.content.decode()
