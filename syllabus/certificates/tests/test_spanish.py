"""Certificates in Spanish: the learner's PDF is drawn in the learner's language, the pages
and messages follow the reader's language, dates are written the Spanish way."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from syllabus.certificates.models import Certificate
from syllabus.certificates.pdf import certificate_pdf
from syllabus.certificates.services import certificate_revoke
from syllabus.communication.models import Notification
from tests.factories import UserFactory

from .conftest import complete_course, enrol

pytestmark = pytest.mark.django_db


WHEN = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _spanish(user) -> Client:
    client = Client(headers={"accept-language": "es"})
    client.force_login(user)
    return client


def _pdf_text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_the_pdf_is_drawn_in_the_active_language():
    with translation.override("es"):
        data = certificate_pdf(
            site_name="Syllabus",
            learner_name="Lena Löwe",
            course_title="Mareas y costa",
            completed_at=WHEN,
            issued_at=WHEN,
            expires_at=None,
            code="7KQ2-M9XD-4HTR-0BWE",
            verify_url="https://learn.example.edu/certificates/verify/7KQ2-M9XD-4HTR-0BWE/",
        )
    text = _pdf_text(data)
    assert "Certificado de finalización" in text and "ha completado el curso" in text
    assert "el 26 de noviembre de 2026" in text and "No caduca" in text
    assert "Código del certificado: 7KQ2-M9XD-4HTR-0BWE" in text
    root: Any = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert root["/Lang"] == "es"


def test_a_learner_who_chose_spanish_gets_a_spanish_certificate(
    course, django_capture_on_commit_callbacks
):
    learner = UserFactory(full_name="Lucía Pérez", language="es")
    enrol(learner, course)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    certificate = Certificate.objects.get(user=learner, course=course)
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        text = _pdf_text(handle.read())
    assert "Se certifica que" in text and "Lucía Pérez" in text
    note = Notification.objects.get(recipient=learner, kind="certificate")
    assert note.title == "Tu certificado de «Tides and the shore» está listo"


def test_my_certificates_page_in_spanish(certificate, learner):
    html = _spanish(learner).get(reverse("certificates:mine")).content.decode()
    assert '<html lang="es"' in html
    assert "<h1>Mis certificados</h1>" in html
    assert "Válido" in html and "Descargar PDF" in html
    day = certificate.completed_at
    months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"]
    months += ["septiembre", "octubre", "noviembre", "diciembre"]
    assert f"{day.day} de {months[day.month - 1]} de {day.year}" in html


def test_the_public_verification_page_in_spanish(certificate):
    client = Client(headers={"accept-language": "es"})
    html = client.get(reverse("certificates:verify", args=[certificate.code])).content.decode()
    assert "Este certificado es válido." in html and "Completado el" in html


def test_service_errors_follow_the_active_language(certificate, instructor):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Copia")
    with translation.override("es"), pytest.raises(ValidationError) as error:
        certificate_revoke(actor=instructor, certificate=certificate, reason="Otra vez")
    assert error.value.messages == ["Este certificado ya está revocado."]
