"""Matrix rows of the operations area: the dashboard and the metrics endpoint."""

from __future__ import annotations

from tests.permissions.matrix import FLOW, Row, only

UI: dict[str, Row] = {
    # Holders of ops.view (admin, security officer).
    "ops:dashboard": Row(only("admin", "security_officer")),
    # Bearer-token protected, not by roles (tested in syllabus/ops/tests/test_metrics*.py):
    # without SYLLABUS_METRICS_TOKEN outside DEBUG it is 404 for everyone.
    "metrics": Row(FLOW),
}
