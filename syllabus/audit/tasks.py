"""Scheduled audit-trail work. Removing expired events is part of the daily retention run
(``syllabus.privacy``), which archives them first; here the chains are verified weekly so
the compliance evidence always has a recent result."""

from __future__ import annotations

import structlog
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.audit.models import AuditEvent
from syllabus.audit.services import record, verify_all

logger = structlog.get_logger("syllabus.audit")


@db_periodic_task(crontab(day_of_week="0", hour="4", minute="23"))
def audit_verify_task() -> list[str]:
    """Sundays 04:23 UTC: verify every hash chain (``syllabus audit verify``) and record
    the result as ``audit.verified``; a broken chain is logged as an error."""
    total = AuditEvent.objects.count()
    reports = verify_all()
    broken = [r.category for r in reports if not r.ok]
    record(actor=None, action="audit.verified", details={"events": total, "broken": broken})
    if broken:
        logger.error("audit.chain_broken", categories=broken)
    return broken
