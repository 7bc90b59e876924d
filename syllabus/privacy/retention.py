"""The retention policy (seed 6.2, and 6.1 for audit events), applied in resumable batches.

Categories run in a fixed order. Profiles, course progress and assessment results count
from the person's last activity (``selectors.users_with_last_activity``); system logs and
audit logs count from each row's date. Every batch is one transaction that also moves the
run's checkpoint, so a run killed in the middle resumes after its last finished batch with
the same cut-off dates (``RetentionRun.now``), and nothing is done twice. Archives are
JSON Lines files written before the rows they hold are deleted; a ``manifest.json`` next
to them lists each file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from syllabus.audit.catalog import POLICIES as AUDIT_POLICIES
from syllabus.audit.models import AuditEvent
from syllabus.audit.services import purge_expired, record
from syllabus.privacy import registry
from syllabus.privacy.exports import _plain
from syllabus.privacy.models import RetentionRun
from syllabus.privacy.registry import Category, PersonalData
from syllabus.privacy.selectors import users_with_last_activity
from syllabus.privacy.services import erase_subject

log = structlog.get_logger(__name__)

LOCK_KEY = "privacy:retention-lock"
# Renewed after every batch: a killed run's lock lapses within minutes, so it can resume.
LOCK_SECONDS = 600

DISPOSAL = {
    Category.USER_PROFILES: "secure deletion",
    Category.COURSE_PROGRESS: "anonymisation",
    Category.ASSESSMENT_RESULTS: "archive",
    Category.SYSTEM_LOGS: "deletion",
    Category.AUDIT_LOGS: "archive",
}
ORDER = list(DISPOSAL)
PLAN_CHUNK = 500  # people per query when counting what is due


class RetentionBusy(Exception):
    """Another retention run holds the lock."""


def period_days(category: Category) -> int:
    return {
        Category.USER_PROFILES: settings.RETENTION_PROFILE_DAYS,
        Category.COURSE_PROGRESS: settings.RETENTION_PROGRESS_DAYS,
        Category.ASSESSMENT_RESULTS: settings.RETENTION_ASSESSMENT_DAYS,
        Category.SYSTEM_LOGS: settings.RETENTION_SYSTEM_LOG_DAYS,
        Category.AUDIT_LOGS: settings.RETENTION_AUDIT_LOG_DAYS,
    }[category]


def cutoff(category: Category, now: datetime) -> datetime:
    return now - timedelta(days=period_days(category))


# --- Who and what is due ---------------------------------------------------------------


def due_people(category: Category, now: datetime) -> QuerySet[Any]:
    """People whose last activity is older than the category's period."""
    people = users_with_last_activity().filter(last_activity__lt=cutoff(category, now))
    if category == Category.USER_PROFILES:
        # Already erased accounts are tombstones; superusers are never removed unattended.
        people = people.filter(erasure_record__isnull=True, is_superuser=False)
    else:
        # Only people who still have such rows, so old tombstones are not read every day.
        has_rows = Q(pk__in=[])
        for entry in registry.in_category(category):
            for name in entry.subject_fields:
                rows = entry.model_class._default_manager.filter(**{name: OuterRef("pk")})
                has_rows |= Q(Exists(rows))
        people = people.filter(has_rows)
    return people.order_by("pk")


def _rows_of_people(entry: PersonalData, people: list[Any]) -> QuerySet[Any]:
    """Rows about any of ``people`` (a batch): one IN per subject field, and the
    declaration's own match per person for rows found otherwise."""
    ids = [person.pk for person in people]
    q = Q(pk__in=[])
    for name in entry.subject_fields:
        q |= Q(**{f"{name}__in": ids})
    if entry.match is not None:
        for person in people:
            q |= entry.match(person)
    return entry.model_class._default_manager.filter(q)


def expired_rows(entry: PersonalData, now: datetime) -> QuerySet[Any]:
    """Log rows past their age (system and privacy logs)."""
    assert entry.category is not None
    if entry.retention_q is not None:
        condition = entry.retention_q(now)
    else:
        condition = Q(**{f"{entry.timestamp_field}__lt": cutoff(entry.category, now)})
    return entry.model_class._default_manager.filter(condition)


def _log_entries(category: Category) -> list[PersonalData]:
    return [e for e in registry.in_category(category) if e.model_class is not AuditEvent]


def _audit_due(now: datetime) -> dict[str, tuple[int, int]]:
    """Per audit category (6.1): (events past retention, last chain_seq to purge)."""
    due = {}
    for category, policy in AUDIT_POLICIES.items():
        expired = AuditEvent.objects.filter(
            category=category, occurred_at__lt=now - policy.retention
        )
        last = expired.order_by("-chain_seq").values_list("chain_seq", flat=True).first()
        if last is not None:
            due[category.value] = (
                AuditEvent.objects.filter(category=category, chain_seq__lte=last).count(),
                last,
            )
    return due


def plan(*, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """What a run would do now, per category, with counts (the dry run). Reads only."""
    now = now or timezone.now()
    result: dict[str, dict[str, Any]] = {}
    for category in ORDER:
        rows: dict[str, int] = {}
        people = 0
        if category in registry.ACTIVITY_CATEGORIES:
            due = list(due_people(category, now))
            touched: set[int] = set()
            for start in range(0, len(due), PLAN_CHUNK):
                chunk = due[start : start + PLAN_CHUNK]
                for entry in registry.in_category(category):
                    found = _rows_of_people(entry, chunk)
                    if count := found.count():
                        rows[entry.label] = rows.get(entry.label, 0) + count
                        for name in entry.subject_fields:
                            touched.update(found.values_list(name, flat=True))
            # Every due profile is erased; other categories count people with rows.
            people = len(due) if category == Category.USER_PROFILES else len(touched)
        else:
            for entry in _log_entries(category):
                count = expired_rows(entry, now).count()
                if count:
                    rows[entry.label] = count
        if category == Category.SYSTEM_LOGS:
            count = Session.objects.filter(expire_date__lt=now).count()
            if count:
                rows["sessions.Session"] = count
        if category == Category.AUDIT_LOGS:
            for audit_category, (count, _) in _audit_due(now).items():
                rows[f"audit.AuditEvent[{audit_category}]"] = count
        result[category.value] = {
            "period_days": period_days(category),
            "disposal": DISPOSAL[category],
            "people": people,
            "rows": rows,
        }
    return result


# --- Archives --------------------------------------------------------------------------


class Archive:
    """One run's archive folder: JSON Lines files and their manifest."""

    def __init__(self, run: RetentionRun) -> None:
        self.path = Path(run.archive_dir)
        self.run = run

    def write(self, name: str, lines: Iterable[dict[str, Any]], *, category: str) -> dict[str, Any]:
        """Write (or rewrite, when a resumed run repeats a batch) one file atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / name
        temporary = target.with_suffix(target.suffix + ".partial")
        digest = hashlib.sha256()
        count = size = 0
        with temporary.open("wb") as out:
            for line in lines:
                data = (json.dumps(line, default=_plain, sort_keys=True) + "\n").encode()
                out.write(data)
                digest.update(data)
                count += 1
                size += len(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
        info = {
            "file": name,
            "category": category,
            "rows": count,
            "bytes": size,
            "sha256": digest.hexdigest(),
            "written_at": timezone.now().astimezone(UTC).isoformat(),
        }
        self._manifest_add(info)
        return info

    def _manifest_add(self, info: dict[str, Any]) -> None:
        manifest_path = self.path / "manifest.json"
        manifest: dict[str, Any] = {
            "run": self.run.public_id,
            "now": self.run.now.astimezone(UTC).isoformat(),
            "files": {},
        }
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
        manifest["files"][info["file"]] = info
        temporary = manifest_path.with_suffix(".json.partial")
        temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(temporary, manifest_path)


def _row_dict(obj: models.Model) -> dict[str, Any]:
    return {f.attname: _plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


# --- The run ---------------------------------------------------------------------------

# Called after every committed batch; tests replace it to interrupt a run mid-way.
after_batch: Callable[[RetentionRun, str], None] = lambda run, category: None  # noqa: E731


def _state(run: RetentionRun, category: Category) -> dict[str, Any]:
    state: dict[str, Any] = run.checkpoint.setdefault(
        category.value, {"done": False, "last_pk": 0, "batches": 0}
    )
    return state


def _result(run: RetentionRun, category: Category) -> dict[str, Any]:
    result: dict[str, Any] = run.results.setdefault(
        category.value,
        {
            "period_days": period_days(category),
            "disposal": DISPOSAL[category],
            "people": 0,
            "rows": {},
            "archives": [],
        },
    )
    return result


def _add(result: dict[str, Any], label: str, count: int) -> None:
    if count:
        result["rows"][label] = result["rows"].get(label, 0) + count


def _save(run: RetentionRun) -> None:
    run.save(update_fields=["checkpoint", "results", "status", "attempts", "error"])
    cache.touch(LOCK_KEY, LOCK_SECONDS)


def _batch_people(run: RetentionRun, category: Category) -> list[Any]:
    state = _state(run, category)
    return list(
        due_people(category, run.now).filter(pk__gt=state["last_pk"])[
            : settings.RETENTION_BATCH_SIZE
        ]
    )


def _run_profiles(run: RetentionRun) -> None:
    category = Category.USER_PROFILES
    state, result = _state(run, category), _result(run, category)
    while people := _batch_people(run, category):
        with transaction.atomic():
            for person in people:
                summary = erase_subject(user=person, reason="retention")
                for label, counts in summary.items():
                    _add(result, label, sum(counts.values()))
            result["people"] += len(people)
            state["last_pk"], state["batches"] = people[-1].pk, state["batches"] + 1
            _save(run)
        after_batch(run, category.value)


def _run_progress(run: RetentionRun) -> None:
    category = Category.COURSE_PROGRESS
    state, result = _state(run, category), _result(run, category)
    entries = registry.in_category(category)
    while people := _batch_people(run, category):
        with transaction.atomic():
            touched: set[int] = set()
            for entry in entries:
                rows = _rows_of_people(entry, people)
                count = rows.count()
                if not count:
                    continue
                for name in entry.subject_fields:
                    touched.update(rows.values_list(name, flat=True))
                if entry.anonymiser is not None:
                    entry.anonymiser(rows)
                rows.delete()
                _add(result, entry.label, count)
            result["people"] += len(touched)
            state["last_pk"], state["batches"] = people[-1].pk, state["batches"] + 1
            _save(run)
        after_batch(run, category.value)


def _run_assessments(run: RetentionRun, archive: Archive) -> None:
    category = Category.ASSESSMENT_RESULTS
    state = _state(run, category)
    _result(run, category)
    entries = registry.in_category(category)
    while people := _batch_people(run, category):
        with transaction.atomic():
            for part in range(1, 10):
                if not _archive_people_rows(run, archive, entries, people, part):
                    break
            state["last_pk"], state["batches"] = people[-1].pk, state["batches"] + 1
            _save(run)
        after_batch(run, category.value)


def _archive_people_rows(
    run: RetentionRun,
    archive: Archive,
    entries: list[PersonalData],
    people: list[Any],
    part: int,
) -> bool:
    """One pass over a batch of people: archive their rows, then delete them. Everything
    is read before anything is deleted (deleting an attempt deletes its answers, which
    must be in the archive); deleting a record with history adds a last history row, so
    the caller passes again until nothing is left. Returns whether anything was found."""
    category = Category.ASSESSMENT_RESULTS
    state, result = _state(run, category), _result(run, category)
    found = [(entry, list(_rows_of_people(entry, people).order_by("pk"))) for entry in entries]
    lines: list[dict[str, Any]] = [
        {"model": e.label, "row": _row_dict(obj)} for e, objs in found for obj in objs
    ]
    if not lines:
        return False
    name = f"{category.value}-{state['batches'] + 1:05d}-{part}.jsonl"
    info = archive.write(name, lines, category=category.value)
    for entry, objs in found:
        if objs:
            entry.model_class._default_manager.filter(pk__in=[o.pk for o in objs]).delete()
            _add(result, entry.label, len(objs))
    result["archives"] = [a for a in result["archives"] if a["file"] != name] + [info]
    if part == 1:
        result["people"] += len({line["row"].get("user_id") for line in lines} - {None})
    return True


def _delete_in_batches(
    run: RetentionRun, category: Category, label: str, rows: QuerySet[Any]
) -> None:
    result = _result(run, category)
    size = settings.RETENTION_BATCH_SIZE
    while pks := list(rows.order_by("pk").values_list("pk", flat=True)[:size]):
        with transaction.atomic():
            rows.model._default_manager.filter(pk__in=pks).delete()
            _add(result, label, len(pks))
            _state(run, category)["batches"] += 1
            _save(run)
        after_batch(run, category.value)


def _run_system_logs(run: RetentionRun) -> None:
    category = Category.SYSTEM_LOGS
    for entry in _log_entries(category):
        _delete_in_batches(run, category, entry.label, expired_rows(entry, run.now))
    _delete_in_batches(
        run, category, "sessions.Session", Session.objects.filter(expire_date__lt=run.now)
    )


def _archive_and_delete(
    run: RetentionRun, archive: Archive, category: Category, entry: PersonalData
) -> None:
    result, state = _result(run, category), _state(run, category)
    rows = expired_rows(entry, run.now)
    size = settings.RETENTION_BATCH_SIZE
    while objs := list(rows.order_by("pk")[:size]):
        name = f"{category.value}-{state['batches'] + 1:05d}.jsonl"
        info = archive.write(
            name,
            ({"model": entry.label, "row": _row_dict(obj)} for obj in objs),
            category=category.value,
        )
        with transaction.atomic():
            entry.model_class._default_manager.filter(pk__in=[o.pk for o in objs]).delete()
            _add(result, entry.label, len(objs))
            result["archives"].append(info)
            state["batches"] += 1
            _save(run)
        after_batch(run, category.value)


def _run_audit_logs(run: RetentionRun, archive: Archive) -> None:
    category = Category.AUDIT_LOGS
    result = _result(run, category)
    for entry in _log_entries(category):
        _archive_and_delete(run, archive, category, entry)
    # Audit events (seed 6.1): archived here, then removed by the audit app's own purge,
    # which keeps each chain verifiable. Rewriting an archive on a resumed run is harmless.
    due = _audit_due(run.now)
    for audit_category, (_count, last_seq) in due.items():
        events = AuditEvent.objects.filter(
            category=audit_category, chain_seq__lte=last_seq
        ).order_by("chain_seq")
        info = archive.write(
            f"audit-{audit_category}-through-{last_seq}.jsonl",
            ({"model": "audit.AuditEvent", "row": _row_dict(e)} for e in events.iterator(2000)),
            category=category.value,
        )
        result["archives"].append(info)
    if due:
        removed = purge_expired(now=run.now)
        for audit_category, count in removed.items():
            _add(result, f"audit.AuditEvent[{audit_category}]", count)
    _save(run)


def _resumable() -> RetentionRun | None:
    return (
        RetentionRun.objects.filter(
            status__in=[RetentionRun.Status.RUNNING, RetentionRun.Status.FAILED]
        )
        .order_by("-started_at", "-pk")
        .first()
    )


def retention_run(*, actor: Any = None, now: datetime | None = None) -> RetentionRun:
    """Apply the retention policy. Resumes an interrupted run if there is one (with its
    original time), else starts a new one. Audited as ``retention.run``."""
    if not cache.add(LOCK_KEY, "1", LOCK_SECONDS):
        raise RetentionBusy("A retention run is already in progress.")
    try:
        run = _resumable()
        if run is not None:
            run.attempts += 1
            run.status, run.error = RetentionRun.Status.RUNNING, ""
            _save(run)
        else:
            run = RetentionRun.objects.create(
                now=now or timezone.now(),
                triggered_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            run.archive_dir = str(Path(settings.RETENTION_ARCHIVE_DIR) / run.public_id)
            run.save(update_fields=["archive_dir"])
        return _execute(run)
    finally:
        cache.delete(LOCK_KEY)


def _execute(run: RetentionRun) -> RetentionRun:
    archive = Archive(run)
    steps: dict[Category, Callable[[], None]] = {
        Category.USER_PROFILES: lambda: _run_profiles(run),
        Category.COURSE_PROGRESS: lambda: _run_progress(run),
        Category.ASSESSMENT_RESULTS: lambda: _run_assessments(run, archive),
        Category.SYSTEM_LOGS: lambda: _run_system_logs(run),
        Category.AUDIT_LOGS: lambda: _run_audit_logs(run, archive),
    }
    try:
        for category in ORDER:
            state = _state(run, category)
            if state["done"]:
                continue
            _result(run, category)
            steps[category]()
            state["done"] = True
            _save(run)
    except Exception as exc:
        run.refresh_from_db()
        run.status, run.error = RetentionRun.Status.FAILED, f"{type(exc).__name__}: {exc}"[:500]
        _save(run)
        with transaction.atomic():
            record(
                actor=run.triggered_by,
                action="retention.run",
                target=run,
                details={
                    "run": run.public_id,
                    "status": run.status,
                    "error": run.error,
                    "attempt": run.attempts,
                    "results": run.results,
                },
            )
        log.exception("retention.run_failed", run=run.public_id)
        raise
    with transaction.atomic():
        run.status, run.finished_at = RetentionRun.Status.COMPLETED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
        record(
            actor=run.triggered_by,
            action="retention.run",
            target=run,
            details={
                "run": run.public_id,
                "status": run.status,
                "now": run.now.isoformat(),
                "attempt": run.attempts,
                "results": run.results,
            },
        )
    return run


def retention_preview(*, actor: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """The dry run: counts only; audited as ``retention.previewed``."""
    result = plan(now=now)
    with transaction.atomic():
        record(actor=actor, action="retention.previewed", details={"plan": result})
    return result
