"""Site roles shared between requests through the cache (permissions._shared_site_roles):
one round trip instead of a query per request, and no change is ever read stale."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from syllabus.accounts.models import Role, User
from syllabus.accounts.permissions import (
    CLOSED,
    ROLES_KEY,
    has_site_perm,
    roles_user_key,
    site_permissions,
    site_role_slugs,
)
from syllabus.accounts.services import role_create, role_grant, role_revoke, role_update
from syllabus.core.metrics import CACHE_REQUESTS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as the next request loads it (nothing kept on the object)."""
    return User.objects.get(pk=user.pk)


def settled(user: User) -> User:
    """As after SYLLABUS_ROLES_CLOSED_SECONDS: giving the user their roles closed the
    entries (the factory gives them through the database), and the markers expired."""
    cache.delete_many([roles_user_key(user.pk), ROLES_KEY])
    return user


def reads(user: User) -> tuple[frozenset[str], int]:
    """The user's site role slugs as a new request sees them, and the queries it took."""
    user = fresh(user)
    with CaptureQueriesContext(connection) as queries:
        slugs = site_role_slugs(user)
    return slugs, len(queries)


def test_the_next_request_reads_the_roles_from_the_cache_not_the_database():
    user = settled(UserFactory(site_roles=["manager"]))
    assert reads(user) == (frozenset({"manager"}), 2)  # the assignments and the roles
    assert reads(user) == (frozenset({"manager"}), 0)
    other = UserFactory(site_roles=["manager"])
    cache.delete(roles_user_key(other.pk))
    assert reads(other) == (frozenset({"manager"}), 1)  # the definitions stay cached
    assert cache.get(roles_user_key(user.pk)) == (Role.objects.get(slug="manager").pk,)


def test_a_user_without_roles_is_cached_too():
    user = settled(UserFactory())
    assert reads(user) == (frozenset(), 1)  # no role: no definitions to read
    assert reads(user) == (frozenset(), 0)


def test_a_role_given_counts_at_once_and_closes_the_entry(admin_user):
    user = UserFactory()
    reads(user)  # cached: no roles
    role_grant(actor=admin_user, user=user, role=Role.objects.get(slug="manager"))
    assert cache.get(roles_user_key(user.pk)) == CLOSED
    assert has_site_perm(fresh(user), "enrolment.manage")
    # While closed, requests read the database and write nothing back.
    assert reads(user) == (frozenset({"manager"}), 1)
    assert cache.get(roles_user_key(user.pk)) == CLOSED


def test_a_role_taken_stops_working_at_once(admin_user):
    user = settled(UserFactory(site_roles=["manager"]))
    assert has_site_perm(fresh(user), "enrolment.manage")  # cached with the role
    role_revoke(actor=admin_user, user=user, role=Role.objects.get(slug="manager"))
    assert not has_site_perm(fresh(user), "enrolment.manage")
    assert site_permissions(fresh(user)) == frozenset()


def test_a_reader_that_read_before_the_change_cannot_put_the_old_roles_back(admin_user):
    """The race the CLOSED marker exists for: a request read the database, the change
    committed and cleared the entry, then the request stores what it read. Its ``add``
    finds the marker and stores nothing."""
    user = UserFactory(site_roles=["manager"])
    key = roles_user_key(user.pk)
    stale = (Role.objects.get(slug="manager").pk,)
    role_revoke(actor=admin_user, user=user, role=Role.objects.get(slug="manager"))
    assert cache.add(key, stale, 300) is False
    assert site_role_slugs(fresh(user)) == frozenset()


def test_after_the_closed_time_the_entry_is_cached_again(admin_user):
    user = UserFactory()
    role_grant(actor=admin_user, user=user, role=Role.objects.get(slug="manager"))
    cache.delete(roles_user_key(user.pk))  # what the marker's expiry does
    assert reads(user) == (frozenset({"manager"}), 2 if cache.get(ROLES_KEY) is None else 1)
    assert reads(user) == (frozenset({"manager"}), 0)


def test_a_change_rolled_back_leaves_the_entry_closed_not_wrong(admin_user):
    user = UserFactory()
    reads(user)
    seen: list[frozenset[str]] = []

    def grant_then_fail() -> None:
        with transaction.atomic():
            role_grant(actor=admin_user, user=user, role=Role.objects.get(slug="manager"))
            seen.append(site_role_slugs(fresh(user)))  # reads its own write
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        grant_then_fail()
    assert seen == [frozenset({"manager"})]
    assert cache.get(roles_user_key(user.pk)) == CLOSED
    assert site_role_slugs(fresh(user)) == frozenset()


def test_a_role_edited_changes_every_holder_at_once(admin_user):
    role = role_create(actor=admin_user, name="Grade reviewer", permissions=["grade.view"])
    holders = [UserFactory(), UserFactory()]
    for holder in holders:
        role_grant(actor=admin_user, user=holder, role=role)
        cache.delete(roles_user_key(holder.pk))
        assert has_site_perm(fresh(holder), "grade.view")  # cached again
    role_update(actor=admin_user, role=role, name="Grade reviewer", permissions=["compliance.view"])
    assert cache.get(ROLES_KEY) == CLOSED
    for holder in holders:
        assert site_permissions(fresh(holder)) == frozenset({"compliance.view"})


def test_cached_definitions_without_a_new_role_are_read_again(admin_user):
    """Belt and braces: an entry of role definitions that lacks one of the user's roles
    (made before the role was) is not trusted for it."""
    user = settled(UserFactory(site_roles=["manager"]))
    reads(user)
    definitions = cache.get(ROLES_KEY)
    del definitions[Role.objects.get(slug="manager").pk]
    cache.set(ROLES_KEY, definitions)
    assert site_role_slugs(fresh(user)) == frozenset({"manager"})


def test_zero_seconds_turns_the_shared_roles_off(settings):
    settings.ROLES_CACHE_SECONDS = 0
    user = settled(UserFactory(site_roles=["manager"]))
    assert reads(user) == (frozenset({"manager"}), 1)
    assert reads(user) == (frozenset({"manager"}), 1)
    assert cache.get(roles_user_key(user.pk)) is None


def test_reads_count_in_the_hit_ratio_as_their_own_area():
    def count(result: str) -> float:
        return CACHE_REQUESTS.labels(area="roles", result=result)._value.get()

    user = settled(UserFactory(site_roles=["manager"]))
    hits, misses = count("hit"), count("miss")
    reads(user)
    reads(user)
    assert (count("hit") - hits, count("miss") - misses) == (2, 2)


def test_a_revoked_role_signs_the_next_request_into_a_new_session_key(client, admin_user):
    """The session policy compares the roles with the session's on every request: with
    the roles cached, a revocation still cycles the session key on the next request."""
    user = settled(UserFactory(site_roles=["manager"]))
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 200
    before = client.session.session_key
    assert client.get("/dashboard/").status_code == 200  # roles now from the cache
    role_revoke(actor=admin_user, user=user, role=Role.objects.get(slug="manager"))
    assert client.get("/dashboard/").status_code == 200
    assert client.session.session_key != before
