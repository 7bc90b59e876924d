"""Matrix rows: a person's own privacy pages and requests (everyone signed in), their
export download (only the person), and the compliance desk (export.run for access
requests, retention.manage for erasure, policies and retention: compliance officers and
administrators)."""

from __future__ import annotations

from typing import Any

from syllabus.privacy.models import DataRequest
from tests.permissions.matrix import EVERYONE, SIGNED_IN, Row, only

OFFICERS = only("compliance_officer", "admin")


def _download(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["privacy_export"]}


def _erasure(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["privacy_erasure"]}


UI: dict[str, Row] = {
    "privacy:home": Row(SIGNED_IN),
    "privacy:export_request": Row(SIGNED_IN, method="post", data={}),
    # Without the confirmation box: 400 for everyone signed in, nothing recorded.
    "privacy:erasure_request": Row(SIGNED_IN, method="post", data={}),
    "privacy:download": Row(only("learner"), kwargs=_download),
    "privacy:consent": Row(SIGNED_IN),
    # Nothing published in the matrix world: 404 for everyone, nobody refused.
    "privacy:policy": Row(EVERYONE, kwargs=lambda c: {"kind": "privacy"}),
    "privacy:requests": Row(OFFICERS),
    "privacy:request_for": Row(OFFICERS, method="post", data={}),
    "privacy:review": Row(OFFICERS, kwargs=_erasure),
    "privacy:policies": Row(OFFICERS),
    "privacy:retention": Row(OFFICERS),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/privacy/policies"): Row(EVERYONE),
    ("POST", "/api/v1/privacy/consents"): Row(SIGNED_IN, data={"document_ids": [999999]}),
    ("GET", "/api/v1/privacy/requests"): Row(SIGNED_IN),
    # An unknown kind: 422 for everyone signed in.
    ("POST", "/api/v1/privacy/requests"): Row(SIGNED_IN, data={"kind": "nothing"}),
    ("GET", "/api/v1/privacy/requests/{public_id}/download"): Row(
        only("learner"), kwargs=_download
    ),
    ("GET", "/api/v1/privacy/queue"): Row(OFFICERS),
    ("POST", "/api/v1/privacy/requests/{public_id}/review"): Row(
        OFFICERS, kwargs=_erasure, data={"approve": False, "reason": "Matrix"}
    ),
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    learner = base["people"]["learner"]
    export = DataRequest.objects.create(
        kind="access", subject=learner, requested_by=learner, status="processing"
    )
    target = type(learner).objects.get(public_id=base["target"])
    erasure = DataRequest.objects.create(kind="erasure", subject=target, requested_by=target)
    return {"privacy_export": export.public_id, "privacy_erasure": erasure.public_id}
