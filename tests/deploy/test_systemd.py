"""deploy/systemd: the units parse, run the right command as an unprivileged user with
the hardening the docs promise, and read a configuration file that holds no secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY

SYSTEMD = DEPLOY / "systemd"
UNITS = {"syllabus-web.service": "serve", "syllabus-worker.service": "worker"}


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections -> directive -> values (a directive may repeat), as systemd reads them."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if match := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(match.group(1), defaultdict(list))
            continue
        assert current is not None, f"{path.name}:{number}: directive before any section"
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z]+", key), f"{path.name}:{number}: {line!r}"
        current[key].append(value)
    return sections


def parse_env_file(path: Path) -> dict[str, str]:
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        assert match, f"{path.name}:{number} is not NAME=value: {line!r}"
        values[match.group(1)] = match.group(2).strip('"')
    return values


@pytest.mark.parametrize(("unit", "command"), UNITS.items())
def test_unit_runs_syllabus_as_its_own_user_with_hardening(unit, command):
    sections = parse_unit(SYSTEMD / unit)
    assert set(sections) == {"Unit", "Service", "Install"}
    service = {key: values[-1] for key, values in sections["Service"].items()}
    assert service["User"] == "syllabus" and service["Group"] == "syllabus"
    exec_start = service["ExecStart"].split()
    assert exec_start[:2] == ["/opt/syllabus/venv/bin/syllabus", command]
    assert service["EnvironmentFile"] == "/etc/syllabus/syllabus.env"
    assert service["Restart"] == "on-failure"
    for directive, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "CapabilityBoundingSet": "",
        "ReadWritePaths": "/var/lib/syllabus",
    }.items():
        assert service[directive] == value, f"{unit}: {directive}"
    # The only writable path is the data directory the configuration names.
    env = parse_env_file(SYSTEMD / "syllabus.env.example")
    assert env["SYLLABUS_DATA_DIR"] == service["ReadWritePaths"] == service["WorkingDirectory"]
    assert sections["Install"]["WantedBy"] == ["multi-user.target"]
    assert "network-online.target" in sections["Unit"]["After"][0]


def test_web_unit_outlasts_the_longest_request_when_stopping():
    service = parse_unit(SYSTEMD / "syllabus-web.service")["Service"]
    env = parse_env_file(SYSTEMD / "syllabus.env.example")
    assert int(service["TimeoutStopSec"][-1]) > int(env["SYLLABUS_WEB_TIMEOUT"])
    assert "--bind 127.0.0.1:8000" in service["ExecStart"][-1]  # behind nginx only


def test_worker_unit_drains_jobs_on_stop():
    service = parse_unit(SYSTEMD / "syllabus-worker.service")["Service"]
    start = service["ExecStart"][-1]
    match = re.search(r"--shutdown-timeout (\d+)", start)
    assert match
    timeout = int(match.group(1))
    assert "--graceful-signal TERM" in start
    assert int(service["TimeoutStopSec"][-1]) > timeout


def test_environment_file_example_holds_no_secrets():
    env = parse_env_file(SYSTEMD / "syllabus.env.example")
    for name in env:
        if re.search(r"PASSWORD|SECRET|TOKEN|_KEYS?$|^DATABASE_|^REDIS_URL", name):
            assert name.endswith("_FILE"), f"{name}: read secrets from files"
    assert env["SYLLABUS_TLS"] == "true"


def test_parser_refuses_a_broken_unit(tmp_path):
    broken = tmp_path / "broken.service"
    broken.write_text("User=syllabus\n[Service]\n")
    with pytest.raises(AssertionError, match="before any section"):
        parse_unit(broken)


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_rates_the_units_well_hardened(unit, tmp_path):
    """systemd's own review (when installed): only the missing binary is reported, and the
    exposure score is low (1.7 of 10 for both units when written)."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    copy = tmp_path / unit
    copy.write_text((SYSTEMD / unit).read_text())
    verify = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    problems = [
        line
        for line in (verify.stdout + verify.stderr).splitlines()
        if line.strip() and "is not executable" not in line
    ]
    assert problems == []
    security = subprocess.run(
        [analyze, "security", "--offline=true", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", security.stdout)
    assert score, security.stdout[-500:] + security.stderr
    assert float(score.group(1)) <= 2.0
