"""The Prometheus rules in deploy/prometheus: promtool checks them and fires each one.

Without promtool (Debian package ``prometheus``) the promtool tests skip, unless
SYLLABUS_REQUIRE_PROMTOOL=1 (set by .ci/run), where a missing promtool fails them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from syllabus.ops.alerts import ALERTS

RULES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
RULES = RULES_DIR / "alerts.yml"
RULE_TESTS = RULES_DIR / "alerts_test.yml"


def _promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    if os.environ.get("SYLLABUS_REQUIRE_PROMTOOL") == "1":
        pytest.fail(
            "promtool is required (SYLLABUS_REQUIRE_PROMTOOL=1): apt-get install prometheus"
        )
    pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")


def test_promtool_accepts_the_rules():
    result = subprocess.run(
        [_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_promtool_unit_tests_fire_each_rule():
    result = subprocess.run(
        [_promtool(), "test", "rules", RULE_TESTS.name],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=RULES_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _rules() -> dict[str, dict[str, str]]:
    """alert name -> its severity and notify labels (the file is simple enough to scan)."""
    found: dict[str, dict[str, str]] = {}
    current = ""
    for line in RULES.read_text().splitlines():
        if match := re.match(r"\s*- alert: (\w+)", line):
            current = match[1]
            found[current] = {}
        elif current and (match := re.match(r"\s+(severity|notify|for): (\S+)", line)):
            found[current][match[1]] = match[2]
    return found


def test_one_rule_per_row_of_the_seed_table_with_its_severity_and_notification():
    rules = _rules()
    assert set(rules) == {f"Syllabus{alert.name}" for alert in ALERTS}
    for alert in ALERTS:
        rule = rules[f"Syllabus{alert.name}"]
        assert (rule["severity"], rule["notify"]) == (alert.severity, alert.notify), alert.name
    # "for 5 min" rows wait 5 minutes; the others fire on the first evaluation.
    assert {name for name, rule in rules.items() if rule.get("for") == "5m"} == {
        "SyllabusHighErrorRate",
        "SyllabusHighLatency",
        "SyllabusDatabaseConnections",
    }


def test_every_rule_names_metrics_the_app_exports():
    text = RULES.read_text()
    used = set(re.findall(r"\b(syllabus_[a-z_]+)", text))
    exported = {
        "syllabus_http_requests_total",
        "syllabus_http_request_duration_seconds_bucket",
        "syllabus_disk_free_ratio",
        "syllabus_db_connections",
        "syllabus_db_connections_max",
        "syllabus_signin_total",
        "syllabus_tls_certificate_expiry_timestamp_seconds",
    }
    assert used == exported


def test_grafana_dashboard_has_the_ops_dashboard_sections_and_known_metrics():
    import json

    path = RULES_DIR.parent / "grafana" / "syllabus-ops.json"
    dashboard = json.loads(path.read_text())
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == [
        "User activity",
        "System health",
        "Course metrics",
        "Error rate",
        "Response time",
    ]
    titles = {p["title"] for p in dashboard["panels"]}
    assert {"Active users (5 min)", "New today", "Sessions", "Uptime (30 days)", "Enrolments",
            "Completions", "Average progress", "5xx", "4xx", "Total",
            "Response time (last 24 hours)"} <= titles  # fmt: skip
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    names = set(re.findall(r"\b(syllabus_[a-z0-9_]+)", exprs))
    suffixes = ("_bucket", "_sum", "_count")
    bases = {next((n.removesuffix(s) for s in suffixes if n.endswith(s)), n) for n in names}
    assert bases <= KNOWN_METRICS, bases - KNOWN_METRICS


KNOWN_METRICS = {
    "syllabus_http_requests_total",
    "syllabus_http_request_duration_seconds",
    "syllabus_http_request_db_queries",
    "syllabus_cache_requests_total",
    "syllabus_jobs_total",
    "syllabus_jobs_pending",
    "syllabus_circuit_breaker_state",
    "syllabus_signin_total",
    "syllabus_permission_denials_total",
    "syllabus_rate_limit_refusals_total",
    "syllabus_active_users",
    "syllabus_sessions_active",
    "syllabus_users_new_today",
    "syllabus_enrolments",
    "syllabus_course_completions",
    "syllabus_course_progress_average_ratio",
    "syllabus_disk_free_ratio",
}
