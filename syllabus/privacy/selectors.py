"""Reads: current policies, what a person has still to accept, requests, activity."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import DateTimeField, F, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from syllabus.accounts.permissions import has_site_perm
from syllabus.privacy.models import Consent, DataRequest, PolicyDocument

CURRENT_POLICIES_KEY = "privacy:current-policies"
SESSION_KEY = "privacy_consented"


# Every signed-in request asks (the consent middleware), and the answer changes only when
# a policy is published: each process keeps it for a few seconds, which saves a cache
# round trip per request. Publishing forgets it in the publishing process at once; other
# processes see the new version within MEMO_SECONDS (a scheduled publication already
# waits up to the cache entry's 300 s). Wall-clock time, as the cache's own expiry.
MEMO_SECONDS = 5.0
_memo: tuple[float, tuple[int, ...]] | None = None
_memo_lock = threading.Lock()


def forget_current_policies() -> None:
    """Forget the current versions: this process's copy and the cache's."""
    global _memo
    with _memo_lock:
        _memo = None
    cache.delete(CURRENT_POLICIES_KEY)


def current_policy_ids() -> list[int]:
    """Ids of the newest published version of each kind (none until one is published)."""
    global _memo
    memo, now_seconds = _memo, time.time()
    if memo is not None and 0 <= now_seconds - memo[0] < MEMO_SECONDS:
        return list(memo[1])
    ids: list[int] | None = cache.get(CURRENT_POLICIES_KEY)
    if ids is None:
        ids = []
        now = timezone.now()
        for kind in PolicyDocument.Kind.values:
            pk = (
                PolicyDocument.objects.filter(kind=kind, published_at__lte=now)
                .order_by("-version")
                .values_list("pk", flat=True)
                .first()
            )
            if pk is not None:
                ids.append(pk)
        cache.set(CURRENT_POLICIES_KEY, ids, 300)
    with _memo_lock:
        _memo = (now_seconds, tuple(ids))
    return list(ids)


def current_policies() -> list[PolicyDocument]:
    return list(PolicyDocument.objects.filter(pk__in=current_policy_ids()).order_by("kind"))


def missing_consents(user: Any, session: Any = None) -> list[int]:
    """Current policy versions ``user`` has not accepted yet (ids). Sessions remember
    what was accepted, so a signed-in person costs no query once they have."""
    current = current_policy_ids()
    if not current or not getattr(user, "is_authenticated", False):
        return []
    remembered = set(session.get(SESSION_KEY, [])) if session is not None else set()
    if set(current) <= remembered:
        return []
    accepted = set(
        Consent.objects.filter(user_id=user.pk, document_id__in=current).values_list(
            "document_id", flat=True
        )
    )
    if session is not None:
        session[SESSION_KEY] = sorted(accepted | remembered)
    return [pk for pk in current if pk not in accepted]


def consents_of(user: Any) -> QuerySet[Consent]:
    return Consent.objects.filter(user=user).select_related("document").order_by("-accepted_at")


def requests_of(user: Any) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(subject=user).select_related("requested_by", "reviewed_by")


def requests_for_officer(
    user: Any, *, status: str = "", kind: str = "", overdue: bool = False
) -> QuerySet[DataRequest]:
    """Requests a compliance officer may see: access requests with export.run, erasure
    requests with retention.manage (both for administrators)."""
    kinds = []
    if has_site_perm(user, "export.run"):
        kinds.append(DataRequest.Kind.ACCESS)
    if has_site_perm(user, "retention.manage"):
        kinds.append(DataRequest.Kind.ERASURE)
    qs = DataRequest.objects.filter(kind__in=kinds).select_related(
        "subject", "requested_by", "reviewed_by"
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if overdue:
        qs = qs.filter(status__in=DataRequest.OPEN, due_at__lt=timezone.now())
    return qs.order_by("due_at", "pk")


def users_with_last_activity() -> QuerySet[Any]:
    """Every account annotated with ``last_activity``: the latest of its sign-in, sign-up,
    enrolment and learning activity (the "active" of the retention table; docs/privacy.md).
    """
    from syllabus.courses.models import CourseMembership
    from syllabus.learning.models import CourseProgress, LessonProgress

    def latest(model: Any, field: str) -> Subquery:
        return Subquery(
            model.objects.filter(user=OuterRef("pk"))
            .order_by()
            .values("user")
            .annotate(latest=Max(field))
            .values("latest")[:1],
            output_field=DateTimeField(),
        )

    joined = F("date_joined")
    return get_user_model().objects.annotate(
        last_activity=Greatest(
            Coalesce(F("last_login"), joined),
            Coalesce(latest(CourseProgress, "last_activity_at"), joined),
            Coalesce(latest(LessonProgress, "last_opened_at"), joined),
            Coalesce(latest(CourseMembership, "created_at"), joined),
            Coalesce(F("date_joined"), Value(timezone.now())),
        )
    )
