"""Demo personal details: created once for the demo learners, encrypted, searchable."""

from __future__ import annotations

import pytest

from syllabus.accounts.demo import DEMO_DETAILS, load_demo
from syllabus.accounts.models import PersonalDetails
from syllabus.accounts.profile import personal_details_matching_id
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_details_are_loaded_once_for_the_demo_people_only():
    for email in DEMO_DETAILS:
        UserFactory(email=email)
    other = UserFactory(email="someone@school.example.org")
    assert load_demo() == len(DEMO_DETAILS)
    assert load_demo() == 0
    assert not PersonalDetails.objects.filter(user=other).exists()
    found = personal_details_matching_id("stu 2026 0002").get()
    assert found.user.email == "amara.okafor@example.com"
    assert found.medical_notes == "Asthma: inhaler in her bag."


def test_missing_demo_people_are_skipped():
    assert load_demo() == 0
