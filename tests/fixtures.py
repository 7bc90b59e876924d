"""Shared fixtures for every test folder (loaded by the root conftest.py).

Personas follow healthchecks' alice/bob/charlie: a learner, an admin, an outsider.
"""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def learner(db):
    return UserFactory(email="learner@example.org", full_name="Lena Learner")


@pytest.fixture
def admin_user(db):
    return UserFactory(
        email="admin@example.org", is_superuser=True, is_staff=True, site_roles=["admin"]
    )


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.org")
