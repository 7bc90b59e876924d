"""The compliance page in Spanish: headings, control names, statuses, localized dates."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from syllabus.compliance.evidence import gather
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


@time_machine.travel(NOW, tick=False)
def test_page_in_spanish_with_localized_period():
    client = Client(headers={"accept-language": "es"})
    client.force_login(UserFactory(site_roles=["compliance_officer"]))
    html = client.get("/compliance/").content.decode()
    assert '<html lang="es"' in html
    assert "<h1>Evidencias de cumplimiento</h1>" in html
    assert "Revisión trimestral de accesos completada" in html
    # The period's end, written the Spanish way.
    assert "26 de noviembre de 2026" in html
    assert "Ausente" in html and "Missing" not in html
    # The date fields hold ISO dates, which the browser's date picker shows the Spanish
    # way; Spanish's own format (26/11/2026) would leave them empty.
    assert 'type="date" name="until" value="2026-11-26"' in html


@time_machine.travel(NOW, tick=False)
def test_bad_period_is_explained_in_spanish():
    client = Client(headers={"accept-language": "es"})
    client.force_login(UserFactory(site_roles=["compliance_officer"]))
    bad = client.get("/compliance/", {"since": "2026-12-01", "until": "2026-11-01"})
    assert bad.status_code == 400
    assert "La fecha de inicio es posterior a la fecha de fin." in bad.content.decode()


@time_machine.travel(NOW, tick=False)
def test_evidence_summaries_follow_the_active_language():
    UserFactory(site_roles=["admin"])
    with translation.override("es"):
        items = {item.key: item for item in gather()}
    assert items["backup"].summary == "Todavía no hay ninguna copia de seguridad correcta."
    assert items["lockouts"].control == "Bloqueos de inicio de sesión en el periodo"
    assert "cuentas con privilegios tienen un segundo factor" in items["mfa_coverage"].summary


@time_machine.travel(NOW, tick=False)
def test_the_command_prints_english_whatever_the_active_language(capsys):
    with translation.override("es"):
        call_command("compliance-report")
        assert translation.get_language() == "es"  # given back after the command
    out = capsys.readouterr().out
    assert "[Missing  ] Daily backup taken" in out and "Ausente" not in out
