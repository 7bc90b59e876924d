"""Access reviews in Spanish: pages, localized dates, service messages and reminders in
each reviewer's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from syllabus.communication.models import Notification
from syllabus.reviews.models import Campaign, ReportingLine, ReviewItem
from syllabus.reviews.services import campaign_start, item_decide, remind_reviewers
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


def _spanish(user):
    client = Client(headers={"accept-language": "es"})
    client.force_login(user)
    return client


@pytest.fixture
def officer():
    return UserFactory(email="officer@example.org", site_roles=["compliance_officer"])


@pytest.fixture
def boss():
    return UserFactory(email="boss@example.org")


@pytest.fixture
def campaign(officer, boss):
    auditor = UserFactory(email="auditor@example.org", site_roles=["auditor"])
    ReportingLine.objects.create(user=auditor, manager=boss)
    with time_machine.travel(NOW, tick=False):
        return campaign_start(actor=officer, name="Q4")


@time_machine.travel(NOW, tick=False)
def test_campaign_page_in_spanish_with_localized_dates(officer, campaign):
    html = _spanish(officer).get(f"/access-reviews/{campaign.public_id}/").content.decode()
    assert '<html lang="es"' in html
    assert "Revisiones de accesos" in html and "Recordárselo ahora a los revisores" in html
    assert "revisadas (0 %)" in html
    assert "Iniciada el 26 de noviembre de 2026" in html
    # The filters and the sign-off blockers, in Spanish too.
    assert ">Sin asignar</a>" in html
    assert "2 elementos sin revisar todavía." in html
    assert "(s)" not in html


def test_reviewer_page_and_decision_message_in_spanish(boss, campaign):
    client = _spanish(boss)
    mine = client.get("/access-reviews/mine/").content.decode()
    assert "<h1>Mis revisiones de accesos</h1>" in mine
    assert "Mantener" in mine and "Revocar" in mine
    item = ReviewItem.objects.get(campaign=campaign, holder_email="auditor@example.org")
    response = client.post(
        f"/access-reviews/items/{item.public_id}/decide/",
        {"decision": "keep", "next": "mine"},
        follow=True,
    )
    assert "auditor@example.org (Auditor): se mantiene." in response.content.decode()


def test_service_errors_follow_the_active_language(boss, campaign):
    item = ReviewItem.objects.get(campaign=campaign, holder_email="auditor@example.org")
    with translation.override("es"), pytest.raises(ValidationError) as error:
        item_decide(actor=boss, item=item, decision="revoke", comment="")
    assert error.value.message_dict["comment"] == ["Indica por qué se debe revocar el acceso."]


def test_reminders_are_written_in_each_reviewers_language(boss, campaign):
    boss.language = "es"
    boss.save(update_fields=["language"])
    Campaign.objects.filter(pk=campaign.pk).update(due_at=timezone.now() - timedelta(days=1))
    campaign.refresh_from_db()
    assert remind_reviewers(campaign=campaign) >= 1
    note = Notification.objects.get(recipient=boss, kind="access_review")
    assert note.title == "Vencido: 1 elemento de revisión de accesos te espera en Q4"
    assert note.body.startswith("Mantén o revoca cada uno antes del ")
