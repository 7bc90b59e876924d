"""Every environment variable the deployment files give Syllabus is one it reads and
docs/configuration.md documents (NAME_FILE counts as NAME), so a manifest cannot set a
misspelt variable that Syllabus would silently ignore."""

from __future__ import annotations

import re

import pytest

from tests.deploy.test_systemd import parse_env_file
from tests.deploy.tools import DEPLOY, ROOT, load_yaml, load_yaml_documents

NAMES = r"SYLLABUS_[A-Z0-9_]+|DATABASE_URL|DATABASE_REPLICA_URLS|REDIS_URL"
SYLLABUS_COMPOSE_SERVICES = ("collectstatic", "migrate", "app1", "app2", "app3", "worker")


def documented() -> set[str]:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    return set(re.findall(rf"^\| `({NAMES})` \|", doc, re.M))


def base_name(name: str) -> str:
    """NAME for NAME_FILE, unless the variable itself ends in _FILE (SYLLABUS_TLS_CERT_FILE)."""
    return name if name in documented() else name.removesuffix("_FILE")


def compose_variables() -> set[str]:
    services = load_yaml(DEPLOY / "docker" / "compose.yml")["services"]
    return {
        name for service in SYLLABUS_COMPOSE_SERVICES for name in services[service]["environment"]
    }


def kubernetes_variables() -> set[str]:
    names: set[str] = set()
    for path in (DEPLOY / "kubernetes").rglob("*.yaml"):
        if "node_modules" in path.parts:
            continue
        for doc in load_yaml_documents(path):
            if doc.get("kind") == "ConfigMap":
                names |= set(doc["data"])
            for container in _containers(doc):
                names |= {item["name"] for item in container.get("env", [])}
    return names


def _containers(doc: dict) -> list[dict]:
    spec = doc.get("spec", {})
    if doc.get("kind") == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec.get("template", {}).get("spec", {}).get("containers", [])


def dockerfile_variables() -> set[str]:
    text = re.sub(r"\\\n", " ", (DEPLOY / "docker" / "Dockerfile").read_text())
    names = set()
    for line in text.splitlines():
        if line.startswith("ENV "):
            names |= set(re.findall(r"([A-Z][A-Z0-9_]*)=", line))
    return names


SOURCES = {
    "deploy/docker/compose.yml": compose_variables,
    "deploy/kubernetes": kubernetes_variables,
    "deploy/systemd/syllabus.env.example": lambda: set(
        parse_env_file(DEPLOY / "systemd" / "syllabus.env.example")
    ),
    "deploy/docker/Dockerfile": dockerfile_variables,
}


@pytest.mark.parametrize("source", SOURCES)
def test_every_variable_a_deployment_sets_is_documented(source):
    variables = SOURCES[source]()
    assert variables, f"{source} sets no variables?"
    ours = {base_name(v) for v in variables if re.fullmatch(NAMES, base_name(v))}
    assert ours, source
    assert ours - documented() == set(), f"{source} sets variables docs/configuration.md lacks"
    # Anything else (the Python runtime's own, prometheus-client's directory) is at least
    # mentioned in the configuration reference, or is the Python runtime's.
    text = (ROOT / "docs" / "configuration.md").read_text()
    others = {v for v in variables if not re.fullmatch(NAMES, base_name(v))}
    for name in others:
        assert name in text or name.startswith(("PYTHON", "PIP_")) or name == "PATH", name


def test_the_check_notices_an_undocumented_variable():
    assert "SYLLABUS_DEBUGG" not in documented()
    assert base_name("SYLLABUS_SECRET_KEY_FILE") in documented()
    assert base_name("DATABASE_REPLICA_URLS_FILE") in documented()
    assert base_name("SYLLABUS_TLS_CERT_FILE") == "SYLLABUS_TLS_CERT_FILE"
