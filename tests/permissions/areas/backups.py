"""Matrix rows of backups: the page, its two buttons and the API (backup.run: admins).

Queueing a backup or a verification is sensitive (recent MFA): the admin persona is sent
to reauthenticate (pages) or gets ``mfa_reauthentication_required`` (API), which the
matrix counts as getting through the permission check."""

from __future__ import annotations

from tests.permissions.matrix import Row, only

BACKUP = only("admin")

UI: dict[str, Row] = {
    "backups:list": Row(BACKUP),
    "backups:run": Row(BACKUP, method="post", data={}),
    "backups:verify": Row(BACKUP, method="post", data={"archive": "x"}),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/backups"): Row(BACKUP),
    ("POST", "/api/v1/backups"): Row(BACKUP),
    ("POST", "/api/v1/backups/verify"): Row(
        BACKUP, data={"archive": "syllabus-backup-20260101T000000Z-00000000.sbk"}
    ),
}
