"""The operations docs keep up with the files they describe: a runbook section per alert
rule, each runbook with its commands, its checks and its duration, and every relative link
of the deployment docs pointing at a file (and heading) that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY, ROOT, load_yaml

DOCS = ROOT / "docs"
RUNBOOKS = ("deploy", "rollback", "database-failover", "rotate-keys", "alerts", "incident-response")
OUR_DOCS = [DOCS / "deploy.md", DOCS / "high-availability.md", DOCS / "ci.md"] + [
    DOCS / "runbooks" / f"{name}.md" for name in RUNBOOKS
]


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_alerts_runbook_has_one_section_per_alert_rule():
    rules = load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"][0]["rules"]
    alerts = [rule["alert"] for rule in rules]
    text = (DOCS / "runbooks" / "alerts.md").read_text()
    sections = re.findall(r"^## (\S+)$", text, re.M)
    assert sections == alerts
    for body in re.split(r"^## ", text, flags=re.M)[1:]:
        for part in ("**Check**", "**Do**", "**Over when**"):
            assert part in body, body.splitlines()[0]


@pytest.mark.parametrize("name", RUNBOOKS)
def test_runbook_names_its_commands_checks_and_duration(name):
    text = (DOCS / "runbooks" / f"{name}.md").read_text()
    assert "**How long:**" in text
    # Commands in a shell block, or inline (the alert runbook's per-step commands).
    assert "```sh" in text or len(re.findall(r"`(?:syllabus|kubectl|\$K|\$C|curl) ", text)) >= 6
    assert re.search(r"check", text, re.I)


def test_incident_response_lists_the_guides_contact_roles():
    text = (DOCS / "runbooks" / "incident-response.md").read_text()
    for role, time in [
        ("On-call engineer", "15 minutes"),
        ("Security team", "1 hour"),
        ("Database administrator", "30 minutes"),
        ("Vendor support", "per SLA"),
    ]:
        assert re.search(rf"^\| {role} \| `<[^>]+>` \| {time} \|$", text, re.M), role


def test_rotate_keys_runbook_uses_the_real_command():
    text = (DOCS / "runbooks" / "rotate-keys.md").read_text()
    assert "syllabus rotate-keys --dry-run" in text
    assert "syllabus generate-field-key k2" in text


def test_high_availability_has_the_read_replica_rules_and_settings():
    text = (DOCS / "high-availability.md").read_text()
    assert "## Read replicas" in text
    for setting in (
        "DATABASE_REPLICA_URLS",
        "SYLLABUS_READ_YOUR_WRITES_SECONDS",
        "SYLLABUS_REPLICA_MAX_LAG_SECONDS",
        "SYLLABUS_REPLICA_CHECK_SECONDS",
    ):
        assert f"`{setting}`" in text
    assert "postgres://syllabus:PASSWORD@db1:5432,db2:5432" in text
    assert "target_session_attrs=read-write" in text


@pytest.mark.parametrize("doc", OUR_DOCS, ids=lambda p: str(p.relative_to(DOCS)))
def test_relative_links_resolve(doc: Path):
    text = doc.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.exists(), f"{doc.name}: {target}"
        if anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", file.read_text(), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"{doc.name}: {target}"


def test_paths_named_in_the_deployment_docs_exist():
    for doc in OUR_DOCS:
        for path in re.findall(r"`((?:deploy|docs|tests)/[\w./-]+)`", doc.read_text()):
            if path.startswith("deploy/docker/secrets/"):
                continue  # made by make-secrets.sh, never committed
            assert (ROOT / path.rstrip("/")).exists(), f"{doc.name}: {path}"
