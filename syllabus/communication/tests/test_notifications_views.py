"""Notification pages: list, mark read (htmx and plain POST), open, preferences, badge."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.communication.models import Notification, NotificationPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/notifications/"


@pytest.fixture
def person(client):
    user = UserFactory(email="reader@example.org")
    client.force_login(user)
    return user


def _add(user, count=1, **fields):
    return [
        Notification.objects.create(
            recipient=user, kind="announcement", title=f"Notice {i}", **fields
        )
        for i in range(count)
    ]


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_empty_list_says_what_happens_next(client, person):
    response = client.get(LIST)
    assert response.status_code == 200
    assert "No notifications yet" in response.text
    assert reverse("communication:preferences") in response.text


def test_the_list_shows_only_the_persons_own_newest_first(client, person):
    Notification.objects.create(recipient=UserFactory(), kind="k", title="Someone else's")
    older, newer = _add(person, 2)
    response = client.get(LIST)
    text = response.text
    assert "Someone else&#x27;s" not in text and "Someone else's" not in text
    assert text.index(newer.title) < text.index(older.title)
    assert "Mark as read" in text
    assert ">New</span>" in text  # unread is said in words, not only by colour


def test_the_unread_filter(client, person):
    read, unread = _add(person, 2)
    Notification.objects.filter(pk=read.pk).update(read_at="2026-01-01T00:00Z")
    response = client.get(LIST + "?show=unread")
    assert unread.title in response.text
    assert f'id="ntf-{read.public_id}"' not in response.text


def test_the_list_is_paginated_with_a_bounded_number_of_queries(client, person):
    _add(person, 5)
    client.get(LIST)  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    _add(person, 60)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(many) <= len(few)
    assert response.text.count("data-notification>") == 20
    assert "Page 1 of 4" in response.text


def test_mark_read_without_javascript_redirects_back(client, person):
    (n,) = _add(person)
    response = client.post(
        reverse("communication:mark_read", args=[n.public_id]), {"show": "unread", "page": "2"}
    )
    assert response.status_code == 302
    assert response["Location"] == LIST + "?show=unread&page=2"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_read_with_htmx_returns_the_list_with_status_and_badge(client, person):
    first, _ = _add(person, 2)
    response = client.post(
        reverse("communication:mark_read", args=[first.public_id]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = response.text
    assert f"Marked “{first.title}” as read." in text
    assert 'id="nav-notifications"' in text
    assert 'Notifications <span class="nav-count">(1' in text  # one left unread


def test_someone_elses_notification_cannot_be_marked_or_opened(client, person):
    (theirs,) = _add(UserFactory())
    assert (
        client.post(reverse("communication:mark_read", args=[theirs.public_id])).status_code == 404
    )
    assert client.get(reverse("communication:open", args=[theirs.public_id])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_is_post_only(client, person):
    (n,) = _add(person)
    assert client.get(reverse("communication:mark_read", args=[n.public_id])).status_code == 405


def test_mark_all_read(client, person):
    _add(person, 3)
    response = client.post(reverse("communication:mark_all_read"), follow=True)
    assert "Marked 3 notifications as read." in response.text
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    response = client.post(reverse("communication:mark_all_read"), follow=True)
    assert "You had no unread notifications." in response.text


def test_opening_a_notification_reads_it_and_follows_its_link(client, person):
    (n,) = _add(person, url="/courses/")
    response = client.get(reverse("communication:open", args=[n.public_id]))
    assert response.status_code == 302
    assert response["Location"] == "/courses/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_an_offsite_link_is_not_followed(client, person):
    (n,) = _add(person, url="https://elsewhere.example.org/phish")
    response = client.get(reverse("communication:open", args=[n.public_id]))
    assert response["Location"] == LIST


def test_the_preference_form(client, person):
    page = client.get(reverse("communication:preferences"))
    assert page.status_code == 200
    assert "Email me each notification as it happens" in page.text
    response = client.post(reverse("communication:preferences"), {"email_mode": "daily_digest"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=person).email_mode == "daily_digest"
    assert "Email me one summary a day" in client.get(reverse("communication:preferences")).text


def test_a_bad_preference_is_refused_with_a_message(client, person):
    response = client.post(reverse("communication:preferences"), {"email_mode": "hourly"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not NotificationPreference.objects.exists()


def test_the_header_badge_shows_the_unread_count(client, person):
    _add(person, 3)
    text = client.get(reverse("accounts:profile")).text
    assert 'id="nav-notifications"' in text
    assert '(3)</span><span class="visually-hidden"> unread</span>' in text


def test_no_badge_count_when_everything_is_read(client, person):
    text = client.get(reverse("accounts:profile")).text
    assert ">Notifications</a>" in text


def test_no_badge_for_anonymous_visitors(client):
    assert 'id="nav-notifications"' not in client.get("/").text
