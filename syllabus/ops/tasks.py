"""Periodic jobs of the ops app: a health sample and the alert check every minute, and
the daily pruning of per-minute numbers."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.ops.aggregates import health_sample_take, prune
from syllabus.ops.alerts import alerts_evaluate


@db_periodic_task(crontab(minute="*"))
def health_sample_task() -> None:
    """Every minute: record the health report (uptime), then evaluate the alerts."""
    health_sample_take()
    if settings.ALERTS_ENABLED:
        alerts_evaluate()


@db_periodic_task(crontab(hour="3", minute="41"))
def metrics_prune_task() -> None:
    """Daily: drop per-minute numbers older than SYLLABUS_METRICS_KEEP_DAYS."""
    prune()
