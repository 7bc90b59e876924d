"""The language chooser: Django's set_language behind our view, remembered on the account of
a signed-in person and applied at their next sign-in; pages in Spanish with Spanish dates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from syllabus.accounts.invitations import invitation_create
from syllabus.accounts.models import User
from syllabus.accounts.profile import language_update
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def _choose(client: Client, language: str, next_url: str = "/help/"):
    return client.post("/account/language/", {"language": language, "next": next_url})


def test_every_page_has_a_labelled_chooser_that_comes_back_to_the_same_page(client):
    page = client.get("/help/").content.decode()
    assert '<html lang="en">' in page
    assert '<form class="language-form" method="post" action="/account/language/">' in page
    assert '<input type="hidden" name="next" value="/help/">' in page
    assert '<label for="language-select">Language</label>' in page
    # Each language in its own name, the current one selected.
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="es" lang="es">Español</option>' in page
    assert '<button type="submit">Change language</button>' in page


def test_the_chooser_switches_to_spanish_and_back(client):
    # when
    response = _choose(client, "es")
    # then: back on the same page, now in Spanish
    assert response.status_code == 302
    assert response["Location"] == "/help/"
    assert response.cookies[COOKIE].value == "es"
    page = client.get("/help/").content.decode()
    assert '<html lang="es">' in page
    assert ">Cursos</a>" in page and ">Iniciar sesión</a>" in page
    assert '<option value="es" lang="es" selected>Español</option>' in page
    # and back
    _choose(client, "en")
    page = client.get("/help/").content.decode()
    assert '<html lang="en">' in page
    assert ">Courses</a>" in page


def test_an_unknown_language_is_refused_and_nothing_changes(client, learner):
    client.force_login(learner)
    response = _choose(client, "xx")
    assert response.status_code == 400
    assert COOKIE not in response.cookies
    learner.refresh_from_db()
    assert learner.language == ""


def test_an_outside_next_address_is_not_followed(client):
    response = _choose(client, "es", next_url="https://elsewhere.example/")
    assert response.status_code == 302
    assert "elsewhere.example" not in response["Location"]


def test_a_signed_in_choice_is_saved_on_the_account_and_audited(client, learner):
    client.force_login(learner)
    # when
    response = _choose(client, "es")
    # then
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.language == "es"
    event = AuditEvent.objects.get(action="user.updated")
    assert event.target_label == learner.email or event.target_id
    assert event.details == {"field": "language", "before": "", "after": "es"}
    # The confirmation is in the language just chosen.
    page = client.get("/help/").content.decode()
    assert "Se ha guardado tu idioma." in page


def test_the_saved_language_follows_the_person_to_a_new_browser_at_sign_in():
    # given: someone who chose Spanish elsewhere; this browser has no cookie and asks English
    person = UserFactory(language="es")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(person)
    # when
    response = browser.get("/help/")
    # then: Spanish, and the cookie is set so the choice stays after signing out
    assert '<html lang="es">' in response.content.decode()
    assert response["Content-Language"] == "es"
    assert response.cookies[COOKIE].value == "es"
    browser.post("/accounts/logout/")
    assert '<html lang="es">' in browser.get("/help/").content.decode()


def test_without_a_saved_language_the_browser_decides(client, learner):
    client.force_login(learner)
    page = client.get("/help/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in page


def test_the_profile_shows_the_saved_language_and_can_forget_it(client):
    person = UserFactory(language="es")
    client.force_login(person)
    page = client.get("/account/profile/").content.decode()
    assert '<option value="es" lang="es" selected>Español</option>' in page
    assert "Tu idioma" in page
    # when: "not chosen"
    response = client.post("/account/language/", {"language": "", "next": "/account/profile/"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/account/profile/"
    assert response.cookies[COOKIE].value == ""  # deleted
    person.refresh_from_db()
    assert person.language == ""


def test_only_the_person_changes_their_language():
    person, other = UserFactory(), UserFactory()
    with pytest.raises(PermissionDenied):
        language_update(actor=other, user=person, language="es")
    with pytest.raises(ValidationError):
        language_update(actor=person, user=person, language="de")
    assert User.objects.get(pk=person.pk).language == ""


@time_machine.travel(dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC), tick=False)
def test_the_sessions_page_in_spanish_shows_spanish_words_and_dates(client, learner):
    client.force_login(learner)
    page = client.get("/account/sessions/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Dispositivos con sesión iniciada" in page
    assert "26 de noviembre de 2026" in page
    assert "ahora mismo" in page  # the relative "last seen"


def test_a_service_message_is_in_spanish(client, learner):
    client.force_login(learner)
    response = client.post(
        "/account/profile/",
        {"form": "profile", "full_name": "Lena Learner"},
        HTTP_ACCEPT_LANGUAGE="es",
        follow=True,
    )
    assert "Se ha guardado tu perfil." in response.content.decode()
    with translation.override("es"):
        assert str(User._meta.get_field("language").verbose_name) == "idioma"


def test_the_invitation_email_uses_the_inviters_page_language(
    admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    # when: sent from a page shown in Spanish (the job runs after commit)
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            actor=admin_user, email="new@example.org", role=None, base_url="http://testserver"
        )
    # then
    assert mailoutbox
    message = mailoutbox[-1]
    assert "te ha invitado" in message.subject
    assert "Abre este enlace para elegir tu contraseña" in message.body


def test_the_session_timeout_script_gets_its_texts_in_the_pages_language(client, learner):
    # session-timeout.js holds no English of its own for people: the page gives the texts.
    client.force_login(learner)
    page = client.get("/help/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'data-text-title="¿Sigues ahí?"' in page
    assert 'data-text-stay="Mantener la sesión"' in page
    assert "se cerrará tu sesión en {time}, tras {minutes} minutos sin actividad." in page
