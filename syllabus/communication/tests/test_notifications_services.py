"""Notification services: bulk notify, emails after commit, preferences, the digest,
marking read, the cached unread count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from syllabus.communication import services
from syllabus.communication.models import Notification, NotificationPreference
from syllabus.communication.services import (
    digest_recipient_ids,
    notifications_email_digest,
    notifications_mark_all_read,
    notifications_mark_read,
    notifications_withdraw,
    notify,
    preference_set,
    unread_count,
)
from syllabus.communication.tasks import digest_due, notification_digest_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Mode = NotificationPreference.EmailMode


def _inserts(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].upper().startswith("INSERT") and "communication_notification" in q["sql"]
    ]


# --- notify -----------------------------------------------------------------------------------


def test_notify_writes_one_row_per_recipient_in_one_insert(django_capture_on_commit_callbacks):
    # given
    people = UserFactory.create_batch(30)
    # when
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
        count = notify(people, kind="announcement", title="Hello", body="Body", url="/courses/")
    # then
    assert count == 30
    assert len(_inserts(queries)) == 1
    assert Notification.objects.filter(kind="announcement", title="Hello").count() == 30
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        p.pk for p in people
    }


def test_notify_inserts_in_batches(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "INSERT_BATCH", 10)
    people = UserFactory.create_batch(25)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
        notify([p.pk for p in people], kind="k", title="T")
    assert len(_inserts(queries)) == 3
    assert Notification.objects.count() == 25


def test_notify_accepts_users_ids_and_querysets_and_skips_duplicates(
    django_capture_on_commit_callbacks,
):
    a, b = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks():
        assert notify([a, a.pk, b], kind="k", title="T") == 2
        assert notify(type(a).objects.filter(pk=b.pk), kind="k", title="Q") == 1
        assert notify([], kind="k", title="T") == 0
    assert Notification.objects.filter(recipient=b).count() == 2


def test_notify_gives_every_notification_its_own_public_id(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        notify(UserFactory.create_batch(5), kind="k", title="T")
    ids = list(Notification.objects.values_list("public_id", flat=True))
    assert len(set(ids)) == 5
    assert all(i.startswith("ntf_") and len(i) == 20 for i in ids)
    assert all(set(i[4:]) <= set("0123456789abcdefghjkmnpqrstvwxyz") for i in ids)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "", "title": "T"}, "kind"),
        ({"kind": "x" * 41, "title": "T"}, "kind"),
        ({"kind": "k", "title": "   "}, "title"),
        ({"kind": "k", "title": "T", "url": "javascript:alert(1)"}, "url"),
        ({"kind": "k", "title": "T", "url": "//evil.example.org/"}, "url"),
        ({"kind": "k", "title": "T", "url": "/" + "a" * 600}, "url"),
    ],
)
def test_notify_refuses_bad_input_and_writes_nothing(kwargs, field):
    user = UserFactory()
    with pytest.raises(ValidationError) as caught:
        notify([user], **kwargs)
    assert field in caught.value.message_dict
    assert not Notification.objects.exists()


def test_notify_shortens_long_titles_and_bodies(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks():
        notify([user], kind="k", title="t" * 500, body="b" * 5000)
    n = Notification.objects.get()
    assert len(n.title) == services.TITLE_MAX and n.title.endswith("…")
    assert len(n.body) == services.BODY_MAX and n.body.endswith("…")


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_notification_links_are_site_paths_or_http_urls(url):
    """Whatever the text, a link is refused with a ValidationError or is safe to follow."""
    try:
        cleaned = services._clean_url(url)
    except ValidationError:
        return
    assert cleaned == "" or (
        (cleaned.startswith("/") and not cleaned.startswith("//") and "\\" not in cleaned)
        or cleaned.startswith(("https://", "http://"))
    )


# --- Immediate emails -----------------------------------------------------------------------


def test_immediate_email_is_queued_on_commit_only(django_capture_on_commit_callbacks):
    user = UserFactory(email="now@example.org")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notify([user], kind="k", title="Quiz tomorrow", body="Revise.", url="/courses/")
            assert mail.outbox == []  # nothing sent inside the transaction
        assert mail.outbox == []  # nor before the outer transaction commits
    assert len(callbacks) == 2  # forget the cached unread count; queue the email job
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["now@example.org"]
    assert "Quiz tomorrow" in message.subject
    assert "Revise." in message.body
    assert "/courses/" in message.body
    assert "/notifications/preferences/" in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert Notification.objects.get().emailed_at is not None


def test_a_rolled_back_notification_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify([user], kind="k", title="T")
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_immediate_emails_go_in_bounded_batches(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "EMAIL_BATCH", 4)
    queued: list[list[int]] = []
    monkeypatch.setattr(
        "syllabus.communication.tasks.notification_email_task",
        lambda *, notification_ids: queued.append(notification_ids),
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify(UserFactory.create_batch(10), kind="k", title="T")
    assert [len(batch) for batch in queued] == [4, 4, 2]


@pytest.mark.parametrize("mode", [Mode.OFF, Mode.DAILY_DIGEST])
def test_no_immediate_email_unless_the_person_wants_one(mode, django_capture_on_commit_callbacks):
    quiet, default = UserFactory(), UserFactory(email="default@example.org")
    preference_set(user=quiet, email_mode=mode)
    with django_capture_on_commit_callbacks(execute=True):
        notify([quiet, default], kind="k", title="T")
    assert [m.to for m in mail.outbox] == [["default@example.org"]]
    assert Notification.objects.get(recipient=quiet).emailed_at is None


def test_preferences_are_read_in_chunks_for_large_courses(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "PARAMS_CHUNK", 3)
    people = UserFactory.create_batch(7)
    for person in people[::2]:  # 0, 2, 4, 6 want no immediate email
        preference_set(user=person, email_mode=Mode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        notify(people, kind="k", title="T")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people[1::2])


def test_immediate_emails_skip_inactive_people_and_read_notifications():
    inactive = UserFactory(is_active=False)
    reader = UserFactory()
    a = Notification.objects.create(recipient=inactive, kind="k", title="T")
    b = Notification.objects.create(recipient=reader, kind="k", title="T", read_at=timezone.now())
    assert services.notifications_email_immediate(notification_ids=[a.pk, b.pk]) == 0
    assert mail.outbox == []


def test_an_email_job_run_twice_sends_once():
    n = Notification.objects.create(recipient=UserFactory(), kind="k", title="T")
    assert services.notifications_email_immediate(notification_ids=[n.pk]) == 1
    assert services.notifications_email_immediate(notification_ids=[n.pk]) == 0
    assert len(mail.outbox) == 1


# --- Preferences ------------------------------------------------------------------------------


def test_preferences_default_to_immediate_and_can_change():
    user = UserFactory()
    assert services.email_mode_of(user) == Mode.IMMEDIATE
    preference_set(user=user, email_mode=Mode.DAILY_DIGEST)
    preference_set(user=user, email_mode=Mode.OFF)
    assert services.email_mode_of(user) == Mode.OFF
    assert NotificationPreference.objects.filter(user=user).count() == 1


def test_an_unknown_email_mode_is_refused():
    user = UserFactory()
    with pytest.raises(ValidationError):
        preference_set(user=user, email_mode="hourly")
    assert not NotificationPreference.objects.exists()


# --- The daily digest -------------------------------------------------------------------------


def _digest_reader(email: str = "digest@example.org"):
    user = UserFactory(email=email)
    preference_set(user=user, email_mode=Mode.DAILY_DIGEST)
    return user


def test_the_digest_lists_new_notifications_once_and_is_idempotent():
    # given
    reader = _digest_reader()
    for i in range(3):
        Notification.objects.create(recipient=reader, kind="k", title=f"News {i}", url="/x/")
    # when
    first = notifications_email_digest(user_id=reader.pk)
    second = notifications_email_digest(user_id=reader.pk)
    # then
    assert (first, second) == (3, 0)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert all(f"News {i}" in body for i in range(3))
    assert "3 new" in mail.outbox[0].subject
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_the_digest_skips_read_old_and_already_emailed_notifications():
    reader = _digest_reader()
    now = timezone.now()
    Notification.objects.create(recipient=reader, kind="k", title="Seen item", read_at=now)
    Notification.objects.create(recipient=reader, kind="k", title="Sent item", emailed_at=now)
    old = Notification.objects.create(recipient=reader, kind="k", title="Old item")
    Notification.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=8))
    Notification.objects.create(recipient=reader, kind="k", title="Fresh")
    assert notifications_email_digest(user_id=reader.pk) == 1
    body = mail.outbox[0].body
    assert "Fresh" in body
    assert "Seen item" not in body and "Sent item" not in body and "Old item" not in body


def test_the_digest_counts_what_it_does_not_list(monkeypatch):
    monkeypatch.setattr(services, "DIGEST_MAX_ITEMS", 2)
    reader = _digest_reader()
    for i in range(5):
        Notification.objects.create(recipient=reader, kind="k", title=f"N{i}")
    assert notifications_email_digest(user_id=reader.pk) == 5
    assert "and 3 more" in mail.outbox[0].body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_only_digest_readers_with_something_new_get_a_digest():
    reader, off, immediate = _digest_reader(), UserFactory(), UserFactory()
    preference_set(user=off, email_mode=Mode.OFF)
    idle = _digest_reader("idle@example.org")
    for person in (reader, off, immediate):
        Notification.objects.create(recipient=person, kind="k", title="T")
    assert digest_recipient_ids() == [reader.pk]
    assert idle.pk not in digest_recipient_ids()


def test_the_daily_task_sends_every_digest():
    readers = [_digest_reader(f"d{i}@example.org") for i in range(3)]
    for reader in readers:
        Notification.objects.create(recipient=reader, kind="k", title="T")
    assert notification_digest_task.call_local() == 3
    assert sorted(m.to[0] for m in mail.outbox) == [f"d{i}@example.org" for i in range(3)]
    assert notification_digest_task.call_local() == 0
    assert len(mail.outbox) == 3


def test_the_digest_runs_at_the_configured_hour_in_the_site_time_zone(settings):
    settings.NOTIFICATION_DIGEST_HOUR = 7
    settings.TIME_ZONE = "UTC"
    assert digest_due(dt.datetime(2026, 1, 15, 7, 0))
    assert not digest_due(dt.datetime(2026, 1, 15, 7, 1))
    assert not digest_due(dt.datetime(2026, 1, 15, 8, 0))
    settings.TIME_ZONE = "Europe/Paris"  # UTC+1 in winter, UTC+2 in summer
    assert digest_due(dt.datetime(2026, 1, 15, 6, 0))
    assert digest_due(dt.datetime(2026, 7, 15, 5, 0))
    assert not digest_due(dt.datetime(2026, 1, 15, 7, 0))


# --- Marking read -----------------------------------------------------------------------------


def test_mark_read_marks_only_the_given_ones():
    user = UserFactory()
    a, b = (Notification.objects.create(recipient=user, kind="k", title=t) for t in "ab")
    assert notifications_mark_read(user=user, public_ids=[a.public_id]) == 1
    assert notifications_mark_read(user=user, public_ids=[a.public_id]) == 0  # already read
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.read_at is not None and b.read_at is None


def test_mark_read_with_someone_elses_id_writes_nothing():
    user, other = UserFactory(), UserFactory()
    mine = Notification.objects.create(recipient=user, kind="k", title="Mine")
    theirs = Notification.objects.create(recipient=other, kind="k", title="Theirs")
    with pytest.raises(ValidationError) as caught:
        notifications_mark_read(user=user, public_ids=[mine.public_id, theirs.public_id])
    assert theirs.public_id in str(caught.value)
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_mark_read_needs_ids_and_not_too_many():
    user = UserFactory()
    with pytest.raises(ValidationError):
        notifications_mark_read(user=user, public_ids=[])
    with pytest.raises(ValidationError):
        notifications_mark_read(user=user, public_ids=[f"ntf_{i}" for i in range(501)])


def test_mark_all_read_touches_only_the_persons_own():
    user, other = UserFactory(), UserFactory()
    for person in (user, user, other):
        Notification.objects.create(recipient=person, kind="k", title="T")
    assert notifications_mark_all_read(user=user) == 2
    assert notifications_mark_all_read(user=user) == 0
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


def test_withdraw_removes_unread_notifications_of_a_target():
    user = UserFactory()
    Notification.objects.create(recipient=user, kind="announcement", title="T", url="/a/")
    kept = Notification.objects.create(
        recipient=user, kind="announcement", title="T", url="/a/", read_at=timezone.now()
    )
    other = Notification.objects.create(recipient=user, kind="announcement", title="T", url="/b/")
    assert notifications_withdraw(kind="announcement", url="/a/") == 1
    assert set(Notification.objects.all()) == {kept, other}


# --- The unread count -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_unread_count_is_cached_and_forgotten_on_change(django_assert_num_queries):
    user = UserFactory()
    Notification.objects.create(recipient=user, kind="k", title="T")
    with django_assert_num_queries(1):
        assert unread_count(user.pk) == 1
    with django_assert_num_queries(0):
        assert unread_count(user.pk) == 1
    notify([user], kind="k", title="Another")
    assert unread_count(user.pk) == 2
    notifications_mark_all_read(user=user)
    assert unread_count(user.pk) == 0
    n = Notification.objects.create(recipient=user, kind="k", title="T")
    assert unread_count(user.pk) == 0  # cached: rows written outside the services are not seen
    notifications_mark_read(user=user, public_ids=[n.public_id])
    assert unread_count(user.pk) == 0


def test_the_unread_count_is_not_cached_inside_a_transaction(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(2):
        unread_count(user.pk)
        unread_count(user.pk)


# --- Links in emails --------------------------------------------------------------------------


def test_email_links_use_the_configured_site_url(settings):
    settings.SITE_URL = "https://learn.example.edu/"
    assert services.site_url() == "https://learn.example.edu/"
    assert services._link("/courses/x/") == "https://learn.example.edu/courses/x/"


def test_email_links_fall_back_to_the_site_domain_then_allowed_hosts(settings):
    from django.contrib.sites.models import Site

    settings.SITE_URL = ""
    settings.TLS = True
    settings.ALLOWED_HOSTS = [".internal", "lms.example.edu", "localhost"]
    Site.objects.clear_cache()
    Site.objects.filter(pk=settings.SITE_ID).update(domain="example.com")
    assert services.site_url() == "https://lms.example.edu/"
    Site.objects.filter(pk=settings.SITE_ID).update(domain="school.example.org")
    Site.objects.clear_cache()
    assert services.site_url() == "https://school.example.org/"
    Site.objects.clear_cache()
