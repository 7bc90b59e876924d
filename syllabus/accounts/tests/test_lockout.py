"""Lockout after 5 failed sign-ins (django-axes): per account, per address, for 15 minutes."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from syllabus.accounts.lockout import lockout_list
from syllabus.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "Not-The-Password-42"
START = timezone.now().replace(microsecond=0)


def sign_in(client: Client, email: str, password: str):
    return client.post(LOGIN, {"login": email, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def main_text(response) -> str:
    """The page's <main> as a person reads it, without the per-request CSRF token."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)


def fail_times(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        response = sign_in(client, email, WRONG)
        assert response.status_code == 200


def test_the_sixth_attempt_is_refused_even_with_the_right_password_and_minute_15_unlocks_it():
    # given an account that failed five times
    UserFactory.create(email="lena@example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        fail_times(client, "lena@example.org", 5)

        # when the right password is tried at once
        sixth = sign_in(client, "lena@example.org", PASSWORD)

        # then it is refused like a wrong password
        assert sixth.status_code == 200
        assert not signed_in(client)
        assert "not correct" in main_text(sixth)

        clock.shift(timedelta(minutes=14, seconds=59))
        assert sign_in(client, "lena@example.org", PASSWORD).status_code == 200
        assert not signed_in(client)

        # and once the 15 minutes are over the right password works again
        clock.shift(timedelta(seconds=2))
        response = sign_in(client, "lena@example.org", PASSWORD)
        assert response.status_code == 302
        assert signed_in(client)


def test_locked_account_wrong_password_and_unknown_email_get_the_same_answer():
    UserFactory.create(email="locked@example.org")
    UserFactory.create(email="known@example.org")
    with time_machine.travel(START, tick=False):
        # Each probe comes from its own address, so the per-address lock plays no part.
        fail_times(Client(REMOTE_ADDR="10.0.0.1"), "locked@example.org", 5)

        locked = sign_in(Client(REMOTE_ADDR="10.0.0.2"), "locked@example.org", PASSWORD)
        wrong = sign_in(Client(REMOTE_ADDR="10.0.0.3"), "known@example.org", WRONG)
        unknown = sign_in(Client(REMOTE_ADDR="10.0.0.4"), "nobody@example.org", WRONG)

    assert locked.status_code == wrong.status_code == unknown.status_code == 200
    bodies = {
        main_text(r).replace(email, "EMAIL")
        for r, email in (
            (locked, "locked@example.org"),
            (wrong, "known@example.org"),
            (unknown, "nobody@example.org"),
        )
    }
    assert len(bodies) == 1, "a locked account must not be told apart from a wrong password"
    assert "The email address and/or password you specified are not correct." in bodies.pop()
    assert {key.lower() for key in locked.headers} == {key.lower() for key in wrong.headers}


def test_an_unknown_email_is_locked_too_so_locking_reveals_nothing():
    with time_machine.travel(START, tick=False):
        client = Client()
        fail_times(client, "ghost@example.org", 5)
    assert [lock.value for lock in lockout_list(now=START)] == ["ghost@example.org", "127.0.0.1"]


def test_five_failures_from_one_address_lock_that_address_for_every_account():
    # given five failures from one address, each for a different account
    victim = UserFactory.create(email="victim@example.org")
    with time_machine.travel(START, tick=False):
        attacker = Client(REMOTE_ADDR="203.0.113.9")
        for n in range(5):
            sign_in(attacker, f"guess{n}@example.org", WRONG)

        # then even a right password from that address is refused
        assert sign_in(attacker, victim.email, PASSWORD).status_code == 200
        assert not signed_in(attacker)
        # while the same account signs in from elsewhere
        elsewhere = Client(REMOTE_ADDR="198.51.100.7")
        assert sign_in(elsewhere, victim.email, PASSWORD).status_code == 302


def test_the_account_key_ignores_letter_case_and_spaces():
    UserFactory.create(email="case@example.org")
    with time_machine.travel(START, tick=False):
        logins = ["Case@Example.org", " case@example.org", "CASE@EXAMPLE.ORG", "case@example.org "]
        for index, login in enumerate([*logins, "case@example.org"]):
            sign_in(Client(REMOTE_ADDR=f"10.1.0.{index}"), login, WRONG)

        fresh_address = Client(REMOTE_ADDR="10.1.0.99")
        assert sign_in(fresh_address, "case@example.org", PASSWORD).status_code == 200
        assert not signed_in(fresh_address)


def test_lockout_uses_the_client_address_behind_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.44")
    sign_in(client, "someone@example.org", WRONG)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.44"]


def test_a_lockout_is_audited_once_and_failures_never_record_the_password():
    UserFactory.create(email="audit@example.org")
    with time_machine.travel(START, tick=False):
        client = Client()
        fail_times(client, "audit@example.org", 7)

    lockouts = AuditEvent.objects.filter(action="auth.lockout")
    assert lockouts.count() == 1
    event = lockouts.get()
    assert event.category == "authentication"
    assert event.details["email"] == "audit@example.org"
    assert event.details["failures"] == 5
    assert event.target_label == "audit@example.org"

    failures = AuditEvent.objects.filter(action="auth.login_failed")
    assert failures.count() == 7
    assert {e.details["email"] for e in failures} == {"audit@example.org"}
    everything = json.dumps(list(AuditEvent.objects.values("details")), default=str)
    assert WRONG not in everything
    assert AccessAttempt.objects.filter(post_data__contains=WRONG).count() == 0


# --- The lockouts page -----------------------------------------------------------------------


@pytest.fixture
def locked_account():
    user = UserFactory.create(email="stuck@example.org")
    with time_machine.travel(START, tick=False):
        fail_times(Client(REMOTE_ADDR="192.0.2.10"), user.email, 5)
    return user


@pytest.fixture
def security_officer():
    return UserFactory.create(email="sec@example.org", site_roles=["security_officer"])


def test_security_officers_and_admins_see_lockouts(
    client, locked_account, security_officer, admin_user
):
    for person in (security_officer, admin_user):
        client.force_login(person)
        with time_machine.travel(START + timedelta(minutes=1), tick=False):
            response = client.get("/account/lockouts/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "stuck@example.org" in html
        assert "192.0.2.10" in html
        assert "<td>5</td>" in html


def test_others_cannot_see_or_clear_lockouts(client, locked_account, learner):
    assert client.get("/account/lockouts/").status_code == 302  # to sign-in
    client.force_login(learner)
    assert client.get("/account/lockouts/").status_code == 403
    response = client.post("/account/lockouts/clear/", {"email": "stuck@example.org"})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username="stuck@example.org").exists()
    assert not AuditEvent.objects.filter(action="auth.unlock").exists()


def test_clearing_asks_for_confirmation_then_unlocks_and_is_audited(
    client, locked_account, security_officer
):
    client.force_login(security_officer)
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        confirm = client.get("/account/lockouts/clear/", {"email": "stuck@example.org"})
        assert confirm.status_code == 200
        assert "Clear the lockout of stuck@example.org?" in confirm.content.decode()
        assert AccessAttempt.objects.filter(username="stuck@example.org").exists()

        response = client.post("/account/lockouts/clear/", {"email": "stuck@example.org"})

        assert response.status_code == 302
        assert not AccessAttempt.objects.filter(username="stuck@example.org").exists()
        event = AuditEvent.objects.get(action="auth.unlock")
        assert event.actor == security_officer
        assert event.category == "authentication"
        assert event.details["failures_cleared"] == 5
        # the account signs in again before the 15 minutes are over
        assert (
            sign_in(Client(REMOTE_ADDR="198.51.100.1"), "stuck@example.org", PASSWORD).status_code
            == 302
        )


def test_clearing_an_address_and_bad_requests(client, locked_account, security_officer):
    client.force_login(security_officer)
    assert client.post("/account/lockouts/clear/", {"ip": "not-an-ip"}).status_code == 400
    both = {"email": "stuck@example.org", "ip": "192.0.2.10"}
    assert client.post("/account/lockouts/clear/", both).status_code == 400
    nothing = client.post("/account/lockouts/clear/", {"email": "nobody@example.org"}, follow=True)
    assert "No failed sign-ins are recorded for nobody@example.org." in nothing.content.decode()
    assert not AuditEvent.objects.filter(action="auth.unlock").exists()

    client.post("/account/lockouts/clear/", {"ip": "192.0.2.10"})
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.get(action="auth.unlock").details["ip"] == "192.0.2.10"


def test_clearing_without_a_csrf_token_is_refused_and_changes_nothing(
    locked_account, security_officer
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(security_officer)
    response = client.post("/account/lockouts/clear/", {"email": "stuck@example.org"})
    assert response.status_code == 403
    assert "Form expired" in response.content.decode()
    assert AccessAttempt.objects.filter(username="stuck@example.org").exists()


# --- The CLI ---------------------------------------------------------------------------------


def run_lockouts(*args: str) -> str:
    out = io.StringIO()
    call_command("lockouts", *args, stdout=out)
    return out.getvalue()


def test_cli_lists_and_clears_lockouts(locked_account):
    with time_machine.travel(START + timedelta(minutes=3), tick=False):
        listing = run_lockouts("list")
        assert "stuck@example.org" in listing
        assert "192.0.2.10" in listing
        assert "account" in listing

        cleared = run_lockouts("clear", "--email", "stuck@example.org")
        found = re.search(r"Cleared (\d+) failed sign-in record", cleared)
        assert found, cleared
        count = int(found[1])
        plural = "record" if count == 1 else "records"
        assert f"Cleared {count} failed sign-in {plural} for stuck@example.org." in cleared
        event = AuditEvent.objects.get(action="auth.unlock")
        assert event.actor is None
        assert event.details["email"] == "stuck@example.org"

        # the address's failures were all for that account: it is unlocked too
        assert "Nothing is locked" in run_lockouts("list")

        attacker = Client(REMOTE_ADDR="192.0.2.66")
        for n in range(5):
            sign_in(attacker, f"guess{n}@example.org", WRONG)
        assert "address  192.0.2.66" in run_lockouts("list")
        run_lockouts("clear", "--ip", "192.0.2.66")
        assert "Nothing is locked" in run_lockouts("list")


def test_cli_refuses_bad_arguments_and_changes_nothing(locked_account):
    with pytest.raises(CommandError, match="No failed sign-ins"):
        run_lockouts("clear", "--email", "nobody@example.org")
    with pytest.raises(CommandError):
        run_lockouts("clear", "--ip", "999.1.1.1")
    with pytest.raises(CommandError):
        run_lockouts("clear")
    assert AccessAttempt.objects.count() == 1
    assert not AuditEvent.objects.filter(action="auth.unlock").exists()
