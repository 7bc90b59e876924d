"""Demo data: a first privacy policy and terms, accepted by the demo people, and data
requests for the compliance officer's desk (one erasure waiting for review, one overdue).

``load_demo()`` is called by ``syllabus demo`` after the people are loaded; running it again
adds nothing. Only people of the demo's reserved domain are touched, and the policies are
published only while none exists, so a real site's own policies are never replaced.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from syllabus.privacy.models import Consent, DataRequest, PolicyDocument
from syllabus.privacy.services import policy_publish, request_create

DEMO_EMAIL_DOMAIN = "@example.com"

PRIVACY_TEXT = """\
## What we keep

Your name and email address, the courses you take, your progress, answers and grades,
and a record of sign-ins. We keep your profile for three years after your last activity,
your progress and results for seven, then delete, anonymise or archive them.

## Your rights

On **Your data and privacy** you can download everything we hold about you, or ask for
it to be erased. We answer within 30 days.
"""

TERMS_TEXT = """\
Use the courses for your own learning; do not share your account; be kind in
discussions. Instructors own their course material.
"""


def load_demo() -> None:
    people = get_user_model().objects.filter(email__iendswith=DEMO_EMAIL_DOMAIN)
    with transaction.atomic():
        if not PolicyDocument.objects.exists():
            documents = [
                policy_publish(
                    actor=None, kind="privacy", title="Privacy policy", body=PRIVACY_TEXT
                ),
                policy_publish(actor=None, kind="terms", title="Terms of use", body=TERMS_TEXT),
            ]
            # Demo logins go straight in; publish a version 2 to see the acceptance page.
            Consent.objects.bulk_create(
                [Consent(user=person, document=doc) for person in people for doc in documents],
                ignore_conflicts=True,
            )
        if DataRequest.objects.filter(subject__email__iendswith=DEMO_EMAIL_DOMAIN).exists():
            return
        learner = people.filter(email="learner@example.com").first()
        if learner is not None:
            request_create(
                actor=learner,
                subject=learner,
                kind=DataRequest.Kind.ERASURE,
                reason="I am leaving the school.",
            )
        classmate = people.exclude(email__in=["learner@example.com"]).filter(
            is_superuser=False, role_assignments__isnull=True
        )
        late = classmate.order_by("email").last()
        if late is not None:
            made = request_create(
                actor=late,
                subject=late,
                kind=DataRequest.Kind.ERASURE,
                reason="Please remove my account.",
            )
            # Asked 35 days ago: past the 30-day deadline, flagged on the officer's list.
            asked = timezone.now() - timedelta(days=35)
            DataRequest.objects.filter(pk=made.pk).update(
                created_at=asked, due_at=asked + timedelta(days=30)
            )
