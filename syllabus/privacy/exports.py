"""The personal data export (GDPR access request): a ZIP of JSON and CSV files.

Built by a job from the registry, so every model that declares personal data is in it:
one ``<app>.<model>.json`` and ``.csv`` per model with rows, and ``manifest.json`` with
the subject, the time, each file's rows and SHA-256. Downloads are audited like every
export (``privacy.export_downloaded``, with ``export.run``'s details).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.accounts.permissions import has_site_perm
from syllabus.audit.services import record
from syllabus.core.models import new_public_id
from syllabus.learning.exports import csv_safe
from syllabus.privacy import registry
from syllabus.privacy.models import DataRequest
from syllabus.privacy.notices import language_of, notify_in_their_language

log = structlog.get_logger(__name__)

EXPORT_FOLDER = "privacy/exports"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (dict, list, str, int, float, bool)) or value is None:
        return value
    return str(value)


class _UserIds:
    """Foreign keys to people are exported as public ids ("usr_..."), not row numbers."""

    def __init__(self) -> None:
        self._cache: dict[int, str] = {}

    def __call__(self, pk: int | None) -> str | None:
        if pk is None:
            return None
        if pk not in self._cache:
            self._cache[pk] = (
                get_user_model().objects.filter(pk=pk).values_list("public_id", flat=True).first()
                or ""
            )
        return self._cache[pk]


def rows_for(entry: registry.PersonalData, user: Any, user_ids: _UserIds) -> list[dict[str, Any]]:
    """The export rows of one model: declared fields, values as stored (decrypted)."""
    user_model = get_user_model()
    fields = entry.export_fields()
    rows = []
    for obj in entry.rows_for_export(user).iterator(chunk_size=500):
        row: dict[str, Any] = {}
        for f in fields:
            if f.is_relation:
                value = getattr(obj, f.attname)
                row[f.name] = user_ids(value) if f.related_model is user_model else value
            else:
                row[f.name] = _plain(getattr(obj, f.attname))
        rows.append(row)
    return rows


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                csv_safe(json.dumps(v) if isinstance(v, (dict, list)) else v)
                for v in (row.get(c) for c in columns)
            ]
        )
    return out.getvalue()


def _readme(manifest: dict[str, Any], descriptions: dict[str, str]) -> str:
    """README.txt: what the archive holds and how to read it, in the active language."""
    intro = _(
        "Your personal data from %(site)s\n"
        "Prepared on %(day)s for the account %(subject)s.\n\n"
        "This archive holds every record %(site)s keeps about you, as two files per kind of"
        " record: a JSON file (for programs) and a CSV file with the same records (for a"
        " spreadsheet). manifest.json lists every file with its number of records and its"
        " SHA-256 checksum, so you can check that nothing was changed.\n\n"
        "Dates and times are in UTC (ISO 8601). People are named by their public id"
        " (usr_...), not by internal numbers. Passwords, security keys and other secrets are"
        " never included.\n\n"
        "To correct your details, use your profile page. To have your data erased, use the"
        " “Your data and privacy” page, where you asked for this copy.\n"
    ) % {
        "site": manifest["site"],
        "day": date_format(timezone.now(), "DATE_FORMAT"),
        "subject": manifest["subject"],
    }
    lines = [intro, _("The files:")]
    for info in manifest["files"]:
        base = info["name"].rsplit(".", 1)[0]
        lines.append(
            ngettext(
                "- %(file)s: %(description)s, %(rows)s record",
                "- %(file)s: %(description)s, %(rows)s records",
                info["rows"],
            )
            % {"file": info["name"], "description": descriptions[base], "rows": info["rows"]}
        )
    return "\n".join(lines) + "\n"


def build_zip(user: Any) -> tuple[bytes, dict[str, Any]]:
    """Everything the registry finds about ``user`` as a ZIP, and its manifest; the
    descriptions and README.txt in the person's language."""
    with translation.override(language_of(user)):
        return _build_zip(user)


def _build_zip(user: Any) -> tuple[bytes, dict[str, Any]]:
    user_ids = _UserIds()
    descriptions: dict[str, str] = {}
    buffer = io.BytesIO()
    manifest: dict[str, Any] = {
        "subject": user.public_id,
        "generated_at": timezone.now().astimezone(UTC).isoformat(),
        "site": settings.SITE_NAME,
        "files": [],
    }
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in registry.entries():
            rows = rows_for(entry, user, user_ids)
            if not rows:
                continue
            base = entry.model_class._meta.label_lower
            columns = [f.name for f in entry.export_fields()]
            description = str(entry.model_class._meta.verbose_name_plural)
            descriptions[base] = description
            payload = {"model": entry.label, "description": description, "rows": rows}
            for name, text in (
                (f"{base}.json", json.dumps(payload, indent=2, ensure_ascii=False)),
                (f"{base}.csv", _csv(rows, columns)),
            ):
                data = text.encode()
                archive.writestr(name, data)
                manifest["files"].append(
                    {"name": name, "rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()}
                )
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        archive.writestr("README.txt", _readme(manifest, descriptions).encode())
    return buffer.getvalue(), manifest


def export_build(*, request_id: int) -> DataRequest | None:
    """The job: build the ZIP, store it, give the person a link that expires."""
    request = DataRequest.objects.select_related("subject").filter(pk=request_id).first()
    if request is None or request.status != DataRequest.Status.PROCESSING:
        return request  # done already, or no longer wanted
    data, manifest = build_zip(request.subject)
    digest = hashlib.sha256(data).hexdigest()
    name = default_storage.save(
        f"{EXPORT_FOLDER}/{request.public_id}-{new_public_id('x', 20)[2:]}.zip", ContentFile(data)
    )
    now = timezone.now()
    with transaction.atomic():
        updated = DataRequest.objects.filter(
            pk=request.pk, status=DataRequest.Status.PROCESSING
        ).update(
            status=DataRequest.Status.READY,
            export_file=name,
            export_sha256=digest,
            export_size=len(data),
            export_expires_at=now + timedelta(days=settings.PRIVACY_EXPORT_DAYS),
            completed_at=now,
            updated_at=now,
        )
        if not updated:  # another worker finished first: keep theirs
            transaction.on_commit(lambda: default_storage.delete(name))
            return request
        request.refresh_from_db()
        record(
            actor=None,
            action="privacy.export_built",
            target=request,
            details={
                "request": request.public_id,
                "files": len(manifest["files"]),
                "rows": sum(f["rows"] for f in manifest["files"]) // 2,
                "bytes": len(data),
                "sha256": digest,
            },
        )
        recipients = {request.subject_id, request.requested_by_id}
        expires = request.export_expires_at
        assert expires is not None  # set with the READY status just above
        notify_in_their_language(
            list(get_user_model().objects.filter(pk__in=recipients, is_active=True)),
            kind="privacy",
            url=reverse("privacy:download", kwargs={"public_id": request.public_id}),
            text=lambda: (
                _("Your data export is ready"),
                _("Download it by %(day)s; the link expires then.")
                % {"day": date_format(expires, "DATE_FORMAT")},
            ),
        )
    return request


def export_failed(*, request_id: int, error: str) -> None:
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.status != DataRequest.Status.PROCESSING:
            return
        request.status, request.error = DataRequest.Status.FAILED, error[:500]
        request.save(update_fields=["status", "error", "updated_at"])
        record(
            actor=None,
            action="privacy.export_failed",
            target=request,
            details={"request": request.public_id, "error": error[:200]},
        )


def may_download(user: Any, request: DataRequest) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if request.subject_id == user.pk:
        return True
    return request.requested_by_id == user.pk and has_site_perm(user, "export.run")


def _rows_in(name: str) -> int | None:
    """The records in an export, from its manifest (each model is written as JSON and as
    CSV: the manifest lists both files with the same rows)."""
    try:
        with default_storage.open(name, "rb") as handle, zipfile.ZipFile(handle) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        return sum(int(f["rows"]) for f in manifest["files"]) // 2
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def export_open(*, actor: Any, request: DataRequest) -> Any:
    """Check, audit, and open the ZIP for streaming. PermissionDenied for anyone but the
    person (or the officer who asked for them); ValueError once the link has expired."""
    if not may_download(actor, request):
        raise PermissionDenied(_("Only the person this export is about can download it."))
    if not request.can_download:
        raise ValueError(_("This download link has expired or the export is not ready."))
    rows = _rows_in(request.export_file)
    handle = default_storage.open(request.export_file, "rb")
    with transaction.atomic():
        DataRequest.objects.filter(pk=request.pk).update(downloaded_at=timezone.now())
        record(
            actor=actor,
            action="privacy.export_downloaded",
            target=request,
            details={
                "export": "personal_data",
                "request": request.public_id,
                "subject": request.subject.public_id,
                "on_behalf": actor.pk != request.subject_id,
                "rows": rows,
                "bytes": request.export_size,
                "sha256": request.export_sha256,
            },
        )
    return handle


def expire_exports(*, now: datetime | None = None) -> int:
    """Delete export files whose link has run out (daily)."""
    now = now or timezone.now()
    count = 0
    for request in DataRequest.objects.filter(
        status=DataRequest.Status.READY, export_expires_at__lte=now
    ).order_by("pk"):
        with transaction.atomic():
            if not DataRequest.objects.filter(
                pk=request.pk, status=DataRequest.Status.READY
            ).update(status=DataRequest.Status.EXPIRED, export_file="", updated_at=now):
                continue
            record(
                actor=None,
                action="privacy.export_expired",
                target=request,
                details={"request": request.public_id},
            )
            name = request.export_file
            transaction.on_commit(functools.partial(_delete_quietly, name))
        count += 1
    return count


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        log.warning("privacy.export_file_missing", name=name)


def filename_for(request: DataRequest) -> str:
    return f"personal-data-{request.public_id}.zip"
