"""Privacy in Spanish: the person's page with localized dates, the consent page, service
messages, notifications and the export's README in the person's language."""

from __future__ import annotations

import io
import zipfile

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from syllabus.communication.models import Notification
from syllabus.privacy.exports import build_zip
from syllabus.privacy.services import policy_publish, request_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


def _spanish(user):
    client = Client(headers={"accept-language": "es"})
    client.force_login(user)
    return client


@time_machine.travel(NOW, tick=False)
def test_home_page_in_spanish_with_localized_dates(django_capture_on_commit_callbacks):
    learner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request_create(actor=learner, subject=learner, kind="erasure", reason="")
    html = _spanish(learner).get(reverse("privacy:home")).content.decode()
    assert '<html lang="es"' in html
    assert "<h1>Tus datos y tu privacidad</h1>" in html
    assert "Pedir una copia de mis datos" in html
    assert "Supresión de mis datos" in html and "Pendiente de revisión" in html
    assert "26 de noviembre de 2026" in html  # asked on
    assert "26 de diciembre de 2026" in html  # due by, 30 days later


def test_consent_page_in_spanish(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        policy_publish(actor=None, kind="privacy", title="Privacidad", body="Poco.")
    client = _spanish(UserFactory())
    html = client.get(reverse("privacy:consent")).content.decode()
    assert "<h1>Revisa nuestras políticas</h1>" in html
    assert "(Política de privacidad, versión 1)" in html
    refused = client.post(reverse("privacy:consent"), {"next": "/"})
    assert refused.status_code == 400
    assert "Marca la casilla para aceptar o cierra la sesión." in refused.content.decode()


def test_a_second_open_request_is_refused_in_spanish():
    learner = UserFactory()
    request_create(actor=learner, subject=learner, kind="erasure")
    with translation.override("es"), pytest.raises(ValidationError) as error:
        request_create(actor=learner, subject=learner, kind="erasure")
    assert "Ya hay una solicitud de este tipo abierta" in error.value.messages[0]


def test_officers_are_told_in_their_own_language(django_capture_on_commit_callbacks):
    spanish = UserFactory(site_roles=["compliance_officer"], language="es")
    english = UserFactory(site_roles=["compliance_officer"])
    learner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request_create(actor=learner, subject=learner, kind="erasure")
    assert Notification.objects.get(recipient=spanish, kind="privacy").title == (
        "Una solicitud de supresión está pendiente de revisión"
    )
    assert Notification.objects.get(recipient=english, kind="privacy").title == (
        "An erasure request is waiting for review"
    )


@time_machine.travel(NOW, tick=False)
def test_the_export_readme_is_in_the_persons_language():
    learner = UserFactory(language="es")
    data, manifest = build_zip(learner)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        readme = archive.read("README.txt").decode()
    assert readme.startswith("Tus datos personales de ")
    assert "Preparados el 26 de noviembre de 2026" in readme
    assert "- accounts.user.json: " in readme and "1 registro" in readme
    assert "README.txt" not in {f["name"] for f in manifest["files"]}
    english = UserFactory()
    with zipfile.ZipFile(io.BytesIO(build_zip(english)[0])) as archive:
        assert archive.read("README.txt").decode().startswith("Your personal data from ")


def test_the_erasure_review_explains_its_rules_in_spanish():
    officer = UserFactory(site_roles=["compliance_officer"])
    learner = UserFactory()
    made = request_create(actor=learner, subject=learner, kind="erasure")
    html = _spanish(officer).get(reverse("privacy:review", args=[made.public_id])).content.decode()
    assert "Qué hace la supresión con cada tipo de registro" in html
    assert "se conservan, sin identificar ya a la persona" in html and "se borran" in html
    assert "Prueba del consentimiento (RGPD art. 7(1))" in html
