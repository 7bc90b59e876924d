"""Shared vocabulary of the permission matrix: personas and rows.

Areas of the product keep their rows in ``tests/permissions/areas/<area>.py`` (a module
with ``UI``, ``API``, optional ``ADMIN_PAGES`` and an optional ``world(base) -> dict`` that
adds the objects its rows need); ``test_matrix.py`` merges them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ANON = "anonymous"
PERSONAS = (
    ANON,
    "learner",
    "instructor",
    "manager",
    "auditor",
    "compliance_officer",
    "security_officer",
    "admin",
)
# "learner" has no site role and is a learner in the world's course; "instructor" has no
# site role and teaches that course. The others hold the site role of their name.
SIGNED_IN = frozenset(PERSONAS) - {ANON}
EVERYONE = frozenset(PERSONAS)


def only(*slugs: str) -> frozenset[str]:
    return frozenset(slugs)


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    method: str = "get"
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    data: dict[str, Any] | None = None


# Login-flow pages (allauth): their behaviour depends on the sign-in stage, not on roles.
# For these the matrix checks that no persona gets a server error.
FLOW = frozenset({"flow"})

# Personas with staff status: they may open the Django admin, where permissions decide.
STAFF = frozenset({"admin", "security_officer"})
