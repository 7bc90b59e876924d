"""The include that course pages use to link a learner to their certificate."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from syllabus.certificates.services import certificate_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "certificates/includes/course_certificate.html"


def _render(user, course) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(TEMPLATE, {"course": course}, request=request)


def test_the_learner_with_a_certificate_gets_a_download_link(certificate, learner, course):
    html = _render(learner, course)
    assert reverse("certificates:download", args=[certificate.public_id]) in html
    assert "Download your certificate" in html


def test_nothing_without_a_certificate(course):
    assert _render(UserFactory(), course).strip() == ""


def test_a_revoked_certificate_is_not_offered(certificate, learner, course, instructor):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Cheating")
    html = _render(learner, course)
    assert "was revoked" in html
    assert reverse("certificates:download", args=[certificate.public_id]) not in html
