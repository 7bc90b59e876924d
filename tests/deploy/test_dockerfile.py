"""The container image's rules that can be checked without a container engine: a
multi-stage build on a pinned base, a numeric non-root user, a health check on
/health/live, the `syllabus` entry point, no ADD, no secrets baked in, a build context
that lets in only what the image needs."""

from __future__ import annotations

import re

from tests.deploy.tools import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_multi_stage_build_on_a_pinned_base_image():
    steps = instructions()
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    assert len(froms) >= 2, "a build stage and a runtime stage"
    args = dict(rest.split("=", 1) for keyword, rest in steps if keyword == "ARG" and "=" in rest)
    for source in froms:
        image = source.split()[0]
        if image.startswith("${"):
            image = args[image.strip("${}")]
        # A full version (python:3.11.11-slim-bookworm) or a digest; never latest.
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?", image) or (
            "@sha256:" in image
        ), image
        assert "latest" not in image
    # The runtime copies the built environment from the build stage, not the sources.
    assert any(k == "COPY" and r.startswith("--from=build ") for k, r in steps)


def test_runs_as_a_numeric_non_root_user():
    users = [rest for keyword, rest in instructions() if keyword == "USER"]
    assert users, "USER is set"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0
    assert not gid or (gid.isdigit() and int(gid) > 0)


def test_health_check_probes_liveness():
    checks = [rest for keyword, rest in instructions() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "CMD" in checks[0] and "/opt/syllabus/healthcheck.py" in checks[0]
    script = (DEPLOY / "docker" / "healthcheck.py").read_text()
    assert "/health/live" in script
    assert "/health/ready" not in script.split('"""', 2)[2]  # liveness only


def test_one_entry_point_for_web_worker_and_commands():
    steps = instructions()
    assert [rest for keyword, rest in steps if keyword == "ENTRYPOINT"] == ['["syllabus"]']
    assert [rest for keyword, rest in steps if keyword == "CMD"][-1].startswith('["serve"')
    assert [rest for keyword, rest in steps if keyword == "STOPSIGNAL"] == ["SIGTERM"]


def test_no_add_and_no_secrets_in_the_image():
    steps = instructions()
    assert not [rest for keyword, rest in steps if keyword == "ADD"]
    for keyword, rest in steps:
        if keyword in ("ENV", "ARG"):
            for name, value in re.findall(r"([A-Z][A-Z0-9_]*)=(\S*)", rest):
                assert not re.search(r"KEY|PASSWORD|SECRET|TOKEN", name) or not value, name
    # Build-time collectstatic runs in development mode; nothing secret is set.
    assert "SYLLABUS_SECRET_KEY" not in DOCKERFILE.read_text()


def test_writable_paths_are_named_for_a_read_only_root():
    text = DOCKERFILE.read_text()
    assert 'VOLUME ["/var/lib/syllabus"]' in text
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus" in text
    assert "SYLLABUS_DATA_DIR=/var/lib/syllabus" in text


def test_build_context_lets_in_only_what_the_image_needs():
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and line[0] != "#"
    ]
    assert lines[0] == "*", "exclude everything, then allow"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {
        "pyproject.toml",
        "README.md",
        "constraints.txt",
        "syllabus/",
        "deploy/docker/healthcheck.py",
    }
    copied = [
        rest for keyword, rest in instructions() if keyword == "COPY" and "--from" not in rest
    ]
    for rest in copied:
        for source in rest.split()[:-1]:
            assert source.rstrip("/") + ("/" if source.endswith("/") else "") in allowed or (
                source + "/" in allowed
            ), source
