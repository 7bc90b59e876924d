"""Demo data: personal details (encrypted) for a few demo learners, so the profile page,
the person page's "Show personal details", the id-number search and ``syllabus rotate-keys``
have something to show.

``load_demo()`` is called by ``syllabus demo`` after the people are loaded; running it again
adds nothing (people who already have details are left alone). Only people of the demo's
reserved domain are touched. Every value is fictional.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from syllabus.accounts.models import PersonalDetails, User
from syllabus.accounts.profile import personal_details_update

DEMO_DETAILS: dict[str, dict[str, object]] = {
    "learner@example.com": {
        "date_of_birth": datetime.date(2001, 4, 12),
        "postal_address": "12 Example Street\nSpringfield 01234",
        "id_number": "STU-2026-0001",
        "accommodation_notes": "Extra time (25 %) on timed quizzes.",
        "medical_notes": "",
    },
    "amara.okafor@example.com": {
        "date_of_birth": datetime.date(1998, 11, 3),
        "postal_address": "4 Sample Road\nRivertown 04321",
        "id_number": "STU-2026-0002",
        "accommodation_notes": "Captions on every video.",
        "medical_notes": "Asthma: inhaler in her bag.",
    },
    "jonas.lindqvist@example.com": {
        "date_of_birth": datetime.date(2003, 1, 27),
        "postal_address": "",
        "id_number": "STU-2026-0003",
        "accommodation_notes": "",
        "medical_notes": "",
    },
}


@transaction.atomic
def load_demo() -> int:
    """Give the demo learners their details; returns how many were created."""
    created = 0
    for email, values in DEMO_DETAILS.items():
        user = User.objects.filter(email=email).first()
        if user is None or PersonalDetails.objects.filter(user=user).exists():
            continue
        personal_details_update(actor=user, user=user, values=dict(values))
        created += 1
    return created
