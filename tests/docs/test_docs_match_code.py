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


def test_configuration_reference_lists_exactly_the_variables_settings_read():
    names = r"(SYLLABUS_[A-Z0-9_]+|DATABASE_URL|DATABASE_REPLICA_URLS|REDIS_URL)"
    settings_src = (ROOT / "syllabus" / "config" / "settings.py").read_text()
    read = set(re.findall(rf'"{names}"', settings_src))
    doc = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(rf"^\| `{names}` \|", doc, re.M))
    assert read - documented == set(), "variables settings.py reads but docs do not list"
    assert documented - read == set(), "variables the docs list but settings.py never reads"
