"""Matrix rows: access reviews. Campaign pages need the access review permission
(managers, compliance officers and administrators by default); "my reviews" is for
everyone signed in; a decision may be taken by the item's reviewer or a runner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from syllabus.accounts.models import User
from syllabus.reviews.models import Campaign, ReviewItem
from tests.permissions.matrix import SIGNED_IN, Row, only

RUNNERS = only("manager", "compliance_officer", "admin")


def _campaign(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["review_campaign"]}


UI: dict[str, Row] = {
    "reviews:campaigns": Row(RUNNERS),
    "reviews:mine": Row(SIGNED_IN),
    "reviews:campaign": Row(RUNNERS, kwargs=_campaign),
    "reviews:decide": Row(
        RUNNERS, method="post", kwargs=lambda c: {"public_id": c["review_item"]}, data={}
    ),
    "reviews:apply": Row(RUNNERS, kwargs=_campaign),
    "reviews:remind": Row(RUNNERS, method="post", kwargs=_campaign),
    "reviews:sign_off": Row(RUNNERS, method="post", kwargs=_campaign, data={}),
    # An export: the access review permission and the export permission.
    "reviews:report": Row(
        only("compliance_officer", "admin"),
        kwargs=lambda c: {"public_id": c["review_campaign"], "kind": "csv"},
    ),
}

API: dict[tuple[str, str], Row] = {}

ADMIN_PAGES: dict[str, frozenset[str]] = {
    "reviews/reportingline": frozenset({"admin", "security_officer"}),
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    campaign = Campaign.objects.create(
        name="Matrix review",
        due_at=timezone.now() + timedelta(days=14),
        inactive_days=90,
        quarter="2026-Q4",
    )
    target = User.objects.get(public_id=base["target"])
    item = ReviewItem.objects.create(
        campaign=campaign,
        kind=ReviewItem.Kind.SITE,
        holder=target,
        holder_email=target.email,
        role_slug="auditor",
        role_name="Auditor",
        permissions=["grade.view"],
    )
    return {"review_campaign": campaign.public_id, "review_item": item.public_id}
