"""The export log for security officers: every export.run event with who, what, rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from syllabus.audit.services import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 9, 0))


def _officer() -> Client:
    user = UserFactory(email="sec@example.org", site_roles=["security_officer"])
    client = Client()
    client.force_login(user)
    return client


def _export(actor, kind, rows, when):
    with time_machine.travel(when, tick=False):
        record(actor=actor, action="export.run", details={"export": kind, "rows": rows})


@time_machine.travel(NOW, tick=False)
def test_exports_are_listed_with_totals_per_kind_and_person():
    alice = UserFactory(email="alice@example.org")
    bob = UserFactory(email="bob@example.org")
    _export(alice, "gradebook", 30, NOW - timedelta(days=1))
    _export(alice, "course_roster", 120, NOW - timedelta(days=2))
    _export(bob, "gradebook", 12, NOW - timedelta(days=3))
    _export(bob, "gradebook", 7, NOW - timedelta(days=200))  # outside the default 90 days
    record(actor=alice, action="course.viewed")  # not an export

    officer = _officer()  # signed in at NOW: the session's clock starts then
    page = officer.get("/ops/exports/").content.decode()
    assert "3 exports from" in page and "162 rows in all" in page
    assert page.count("alice@example.org") >= 3  # two rows and the per-person table
    assert 'value="2"' in page  # gradebook: 2 exports in the meter

    older = officer.get("/ops/exports/", {"since": "2026-01-01"}).content.decode()
    assert "4 exports from" in older

    only_bob = officer.get("/ops/exports/", {"actor": "bob@"}).content.decode()
    assert "1 export from" in only_bob and "alice@example.org" not in only_bob
    # The fields show the period shown: the default 90 days, kept on later pages too.
    for shown in (page, only_bob, officer.get("/ops/exports/", {"page": "2"}).content.decode()):
        assert f'name="since" value="{NOW.date() - timedelta(days=90):%Y-%m-%d}"' in shown
        assert f'name="until" value="{NOW.date():%Y-%m-%d}"' in shown
    assert 'name="actor" value="bob@"' in only_bob


@time_machine.travel(NOW, tick=False)
def test_an_end_date_alone_shows_the_90_days_before_it():
    _export(UserFactory(), "gradebook", 5, NOW - timedelta(days=100))
    officer = _officer()
    until = NOW.date() - timedelta(days=60)
    page = officer.get("/ops/exports/", {"until": f"{until:%Y-%m-%d}"}).content.decode()
    assert "1 export from" in page
    assert f'name="since" value="{until - timedelta(days=90):%Y-%m-%d}"' in page


def test_bad_dates_are_refused_clearly():
    officer = _officer()
    response = officer.get("/ops/exports/", {"since": "2026-12-01", "until": "2026-11-01"})
    assert response.status_code == 400
    assert "The start date is after the end date." in response.content.decode()
    assert officer.get("/ops/exports/", {"since": "yesterday"}).status_code == 400


def test_empty_period_explains_itself():
    officer = _officer()
    assert "No export in this period" in officer.get("/ops/exports/").content.decode()


def test_query_count_does_not_grow_with_exports(django_assert_max_num_queries):
    officer = _officer()
    actor = UserFactory()
    for _ in range(3):
        record(actor=actor, action="export.run", details={"export": "gradebook", "rows": 1})
    officer.get("/ops/exports/")
    with django_assert_max_num_queries(20) as few:
        officer.get("/ops/exports/")
    for _ in range(30):
        record(actor=actor, action="export.run", details={"export": "gradebook", "rows": 1})
    with django_assert_max_num_queries(len(few)):
        officer.get("/ops/exports/")


@time_machine.travel(NOW, tick=False)
def test_personal_data_exports_are_listed_too():
    person = UserFactory(email="carol@example.org")
    record(
        actor=person,
        action="privacy.export_downloaded",
        details={"export": "personal_data", "rows": 42, "on_behalf": False},
    )
    page = _officer().get("/ops/exports/").content.decode()
    assert "1 export from" in page and "42 rows in all" in page
    assert "personal_data" in page and "carol@example.org" in page
