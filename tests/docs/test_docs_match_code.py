"""Docs that restate code must not drift from it."""

from __future__ import annotations

import re
from pathlib import Path

from syllabus.accounts.roles import permission_table_markdown

ROOT = Path(__file__).resolve().parents[2]


def _between(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)\n?<!-- {name}:end -->", text, re.S)
    assert match, f"markers for {name} missing"
    return match.group(1).strip()


def test_security_doc_permission_table_matches_the_roles_in_code():
    text = (ROOT / "docs" / "security.md").read_text()
    assert _between(text, "permission-table") == permission_table_markdown(), (
        "docs/security.md's permission table is out of date: regenerate it with "
        "python -c 'from syllabus.accounts.roles import permission_table_markdown as t; print(t())'"
    )
