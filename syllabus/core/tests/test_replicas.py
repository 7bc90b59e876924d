"""The read-replica router and middleware, with the replica's health faked (the real
thing, with a streaming replica, is tests/faults/test_read_replicas.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from syllabus.core import replicas
from syllabus.core.replicas import (
    PIN_COOKIE,
    ReplicaMiddleware,
    ReplicaRouter,
    RequestState,
    _state,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def two_replicas(monkeypatch):
    healthy = {"replica1": True, "replica2": True}
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1", "replica2"])
    monkeypatch.setattr(replicas.board, "healthy", lambda alias: healthy[alias])
    return healthy


def _reading(state: RequestState) -> str | None:
    token = _state.set(state)
    try:
        return ReplicaRouter().db_for_read(User)
    finally:
        _state.reset(token)


def test_without_replicas_the_router_stays_out_of_the_way():
    router = ReplicaRouter()
    assert router.db_for_read(User) is None
    assert router.db_for_write(User) is None


def test_safe_requests_read_from_healthy_replicas_in_turn(two_replicas):
    seen = {_reading(RequestState(may_use_replica=True)) for _ in range(6)}
    assert seen == {"replica1", "replica2"}


def test_a_replica_that_is_down_or_lagging_is_skipped(two_replicas):
    two_replicas["replica1"] = False
    assert {_reading(RequestState(may_use_replica=True)) for _ in range(4)} == {"replica2"}
    two_replicas["replica2"] = False
    assert _reading(RequestState(may_use_replica=True)) == "default"


def test_writes_jobs_transactions_and_writers_use_the_primary(two_replicas):
    assert ReplicaRouter().db_for_write(User) == "default"
    assert _state.get() is None
    assert ReplicaRouter().db_for_read(User) == "default"  # a job or command: no request
    assert _reading(RequestState(may_use_replica=False)) == "default"  # POST or pinned
    assert _reading(RequestState(may_use_replica=True, wrote=True)) == "default"
    with transaction.atomic():
        assert _reading(RequestState(may_use_replica=True)) == "default"


def test_a_write_marks_the_request_but_bookkeeping_does_not(two_replicas):
    state = RequestState(may_use_replica=True)
    token = _state.set(state)
    try:
        ReplicaRouter().db_for_write(Session)
        assert not state.wrote
        ReplicaRouter().db_for_write(User)
        assert state.wrote
    finally:
        _state.reset(token)


def test_migrations_only_run_on_the_primary():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "courses")
    assert not router.allow_migrate("replica1", "courses")


def _middleware(view):
    return ReplicaMiddleware(view)


def test_a_request_that_writes_pins_its_user_to_the_primary(two_replicas, settings):
    from tests.factories import UserFactory

    settings.READ_YOUR_WRITES_SECONDS = 7
    factory = RequestFactory()
    ada, bob = UserFactory(), UserFactory()
    used: list[str | None] = []

    def writing_view(request):
        ReplicaRouter().db_for_write(User)
        return HttpResponse("ok")

    def reading_view(request):
        used.append(ReplicaRouter().db_for_read(User))
        return HttpResponse("ok")

    def request(method, user, **extra):
        made = getattr(factory, method)("/page/", **extra)
        made.user = user
        return made

    response = _middleware(writing_view)(request("post", ada))
    assert response.cookies[PIN_COOKIE]["max-age"] == 7

    # Ada in another browser or on another app server (no pin cookie): the shared cache.
    _middleware(reading_view)(request("get", ada))
    # Bob wrote nothing: a replica.
    _middleware(reading_view)(request("get", bob))
    # An API client pinned by its token after a write, before its view authenticates it.
    anonymous = AnonymousUser()
    _middleware(writing_view)(request("post", anonymous, HTTP_AUTHORIZATION="Bearer t1"))
    _middleware(reading_view)(request("get", anonymous, HTTP_AUTHORIZATION="Bearer t1"))
    assert used[0] == "default" and str(used[1]).startswith("replica") and used[2] == "default"

    cache.clear()  # the pin expired
    _middleware(reading_view)(request("get", ada))
    assert str(used[3]).startswith("replica")
    with_cookie = request("get", ada)
    with_cookie.COOKIES[PIN_COOKIE] = "1"  # this browser still has the cookie
    _middleware(reading_view)(with_cookie)
    assert used[4] == "default"


def test_a_safe_request_whose_replica_failed_is_served_again_from_the_primary(two_replicas):
    marked: list[str] = []
    two_replicas_board = replicas.board
    original = two_replicas_board.mark_down
    calls: list[str | None] = []

    def view(request):
        alias = ReplicaRouter().db_for_read(User)
        calls.append(alias)
        if alias != "default":
            request._syllabus_unavailable = "database"  # what the failed query leaves
            return HttpResponse("error", status=500)
        return HttpResponse("from the primary")

    try:
        two_replicas_board.mark_down = lambda alias, reason: marked.append(alias)
        get = RequestFactory().get("/courses/")
        get.user = AnonymousUser()
        response = _middleware(view)(get)
    finally:
        two_replicas_board.mark_down = original
    assert response.status_code == 200 and response.content == b"from the primary"
    assert str(calls[0]).startswith("replica") and calls[1] == "default"
    assert marked == [calls[0]]


def test_unsafe_requests_are_never_retried(two_replicas):
    calls = []

    def view(request):
        calls.append(ReplicaRouter().db_for_read(User))
        request._syllabus_unavailable = "database"
        return HttpResponse("error", status=500)

    post = RequestFactory().post("/x/")
    post.user = AnonymousUser()
    response = _middleware(view)(post)
    assert response.status_code == 500 and calls == ["default"]


def test_probe_reports_an_unreachable_replica():
    health = replicas.probe_database(
        {"HOST": "127.0.0.1", "PORT": "1", "USER": "postgres", "PASSWORD": "", "OPTIONS": {}}
    )
    assert not health.healthy and "does not answer" in health.reason
