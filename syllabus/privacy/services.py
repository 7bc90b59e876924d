"""Writes: publishing policies, consent, data subject requests and erasure.

Every change is one transaction with its audit event. Audit targets are the request, never
the person, so no address is copied into the append-only trail by these events.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from syllabus.accounts.models import Role, UserSession
from syllabus.accounts.permissions import has_site_perm
from syllabus.audit.services import record
from syllabus.core.jobs import enqueue_on_commit
from syllabus.privacy import registry
from syllabus.privacy.models import (
    Consent,
    DataRequest,
    ErasureRecord,
    PolicyDocument,
)
from syllabus.privacy.notices import notify_in_their_language
from syllabus.privacy.selectors import SESSION_KEY, forget_current_policies

log = structlog.get_logger(__name__)

TITLE_MAX = 200
BODY_MAX = 100_000
REASON_MAX = 1000

# --- Policies and consent --------------------------------------------------------------


@transaction.atomic
def policy_publish(*, actor: Any, kind: str, title: str, body: str) -> PolicyDocument:
    """Publish the next version of the privacy policy or the terms; everyone is asked to
    accept it at their next request."""
    if kind not in PolicyDocument.Kind.values:
        raise ValidationError({"kind": _("Choose privacy or terms.")})
    title = " ".join(title.split())
    if not title or len(title) > TITLE_MAX:
        raise ValidationError(
            {"title": _("A title is 1 to %(max)s characters.") % {"max": TITLE_MAX}}
        )
    body = body.strip()
    if not body or len(body) > BODY_MAX:
        raise ValidationError(
            {"body": _("The text is 1 to %(max)s characters of Markdown.") % {"max": BODY_MAX}}
        )
    latest = (
        PolicyDocument.objects.select_for_update()
        .filter(kind=kind)
        .aggregate(v=Max("version"))["v"]
    )
    document = PolicyDocument.objects.create(
        kind=kind,
        version=(latest or 0) + 1,
        title=title,
        body=body,
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record(
        actor=actor,
        action="privacy.policy_published",
        target=document,
        details={"kind": kind, "version": document.version},
    )
    # Now (this process reads its own write at once) and again after commit (another
    # process may have cached the old versions meanwhile).
    forget_current_policies()
    transaction.on_commit(forget_current_policies)
    return document


@transaction.atomic
def consent_accept(
    *, user: Any, document_ids: list[int], ip: str | None = None, session: Any = None
) -> list[Consent]:
    """Record that ``user`` accepted these current documents (each once)."""
    from syllabus.privacy.selectors import current_policy_ids

    current = set(current_policy_ids())
    wanted = set(document_ids)
    if not wanted or not wanted <= current:
        raise ValidationError(_("Accept the current versions of the policies shown."))
    created = []
    for document in PolicyDocument.objects.filter(pk__in=wanted).order_by("kind"):
        consent, new = Consent.objects.get_or_create(
            user=user, document=document, defaults={"ip": ip}
        )
        if new:
            created.append(consent)
            record(
                actor=user,
                action="privacy.consent_given",
                target=document,
                details={"kind": document.kind, "version": document.version},
            )
    if session is not None:
        session[SESSION_KEY] = sorted(set(session.get(SESSION_KEY, [])) | wanted)
    return created


# --- Data subject requests -------------------------------------------------------------


def _overdue_text(request: DataRequest) -> tuple[str, str]:
    return (
        _("A data request is overdue"),
        _("Request %(request)s was due by %(due)s.")
        % {"request": request.public_id, "due": date_format(request.due_at, "DATE_FORMAT")},
    )


def _officers(permission: str) -> list[Any]:
    slugs = [r.slug for r in Role.objects.filter(scope="site") if permission in r.permissions]
    return list(
        get_user_model()
        .objects.filter(is_active=True, role_assignments__role__slug__in=slugs)
        .distinct()
    )


def _check_may_request(actor: Any, subject: Any, kind: str) -> None:
    if actor.pk == subject.pk:
        return
    needed = "export.run" if kind == DataRequest.Kind.ACCESS else "retention.manage"
    if not has_site_perm(actor, needed):
        raise PermissionDenied(
            _(
                "You can ask for your own data only; acting for someone else needs the "
                "%(permission)s permission."
            )
            % {"permission": needed}
        )


@transaction.atomic
def request_create(*, actor: Any, subject: Any, kind: str, reason: str = "") -> DataRequest:
    """A person asks for an export or erasure of their data (or an officer for them)."""
    if kind not in DataRequest.Kind.values:
        raise ValidationError({"kind": _("Choose access (an export) or erasure.")})
    _check_may_request(actor, subject, kind)
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Use at most %(max)s characters.") % {"max": REASON_MAX}}
        )
    if ErasureRecord.objects.filter(user=subject).exists():
        raise ValidationError(_("This account's personal data has already been erased."))
    open_one = (
        DataRequest.objects.select_for_update()
        .filter(subject=subject, kind=kind, status__in=DataRequest.OPEN)
        .first()
    )
    if open_one is not None:
        raise ValidationError(
            _("A request of this kind is already open (%(request)s); it is due by %(due)s.")
            % {"request": open_one.public_id, "due": date_format(open_one.due_at, "DATE_FORMAT")}
        )
    access = kind == DataRequest.Kind.ACCESS
    request = DataRequest.objects.create(
        kind=kind,
        subject=subject,
        requested_by=actor,
        reason=reason,
        status=DataRequest.Status.PROCESSING if access else DataRequest.Status.PENDING,
    )
    record(
        actor=actor,
        action="privacy.export_requested" if access else "privacy.erasure_requested",
        target=request,
        details={
            "request": request.public_id,
            "subject": subject.public_id,
            "on_behalf": actor.pk != subject.pk,
            "due_at": request.due_at.isoformat(),
        },
    )
    if access:
        from syllabus.privacy.tasks import export_build_task

        enqueue_on_commit(export_build_task, request_id=request.pk)
    else:
        notify_in_their_language(
            _officers("retention.manage"),
            kind="privacy",
            url=reverse("privacy:review", kwargs={"public_id": request.public_id}),
            text=lambda: (
                _("An erasure request is waiting for review"),
                _("Request %(request)s, due by %(due)s.")
                % {"request": request.public_id, "due": date_format(request.due_at, "DATE_FORMAT")},
            ),
        )
    return request


@transaction.atomic
def request_review(
    *, actor: Any, request: DataRequest, approve: bool, reason: str = ""
) -> DataRequest:
    """A compliance officer approves or rejects an erasure request."""
    if not has_site_perm(actor, "retention.manage"):
        raise PermissionDenied(
            _("Reviewing erasure requests needs the retention.manage permission.")
        )
    request = DataRequest.objects.select_for_update().get(pk=request.pk)
    if request.kind != DataRequest.Kind.ERASURE:
        raise ValidationError(_("Only erasure requests are reviewed."))
    if request.status != DataRequest.Status.PENDING:
        raise ValidationError(
            _("This request is %(status)s already.")
            % {"status": str(request.get_status_display()).lower()}
        )
    if request.subject_id == actor.pk:
        raise PermissionDenied(_("Another officer must review a request about yourself."))
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Use at most %(max)s characters.") % {"max": REASON_MAX}}
        )
    if not approve and not reason:
        raise ValidationError({"reason": _("Say why the request is rejected: the person is told.")})
    now = timezone.now()
    request.reviewed_by, request.reviewed_at, request.decision_reason = actor, now, reason
    if approve:
        request.status = DataRequest.Status.APPROVED
    else:
        request.status, request.completed_at = DataRequest.Status.REJECTED, now
    request.save()
    record(
        actor=actor,
        action="privacy.erasure_approved" if approve else "privacy.erasure_rejected",
        target=request,
        details={"request": request.public_id, "reason": reason},
    )
    if approve:
        from syllabus.privacy.tasks import erasure_apply_task

        enqueue_on_commit(erasure_apply_task, request_id=request.pk)
    else:
        notify_in_their_language(
            [request.subject],
            kind="privacy",
            url=reverse("privacy:home"),
            text=lambda: (_("Your erasure request was not approved"), reason),
        )
    return request


def erasure_apply(*, request_id: int) -> DataRequest | None:
    """Carry out an approved erasure (a job: idempotent, a second run finds it done)."""
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.status != DataRequest.Status.APPROVED:
            return request
        subject = request.subject
        erase_subject(user=subject, reason="request", request=request)
        request.status, request.completed_at = DataRequest.Status.COMPLETED, timezone.now()
        request.save(update_fields=["status", "completed_at", "updated_at"])
    return request


def _drop_exports(user: Any) -> None:
    for request in DataRequest.objects.filter(subject=user).exclude(export_file=""):
        _delete_file(request.export_file)
        DataRequest.objects.filter(pk=request.pk).update(
            export_file="", export_sha256="", export_expires_at=None
        )


def _delete_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:  # already gone: nothing to remove
        log.warning("privacy.export_file_missing", name=name)


def erase_subject(
    *, user: Any, reason: str, request: DataRequest | None = None
) -> dict[str, dict[str, int]]:
    """Delete or anonymise everything the registry lists about ``user``; keep what the law
    requires, pointing to the account row, which becomes a pseudonymous tombstone.

    Returns, per model, how many rows were deleted, anonymised and kept (no personal data);
    also recorded in the ErasureRecord and the ``privacy.erasure_completed`` event.
    """
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.select_for_update().get(pk=user.pk)
        if ErasureRecord.objects.filter(user=user).exists():
            return {}
        # Sign them out everywhere before the session list goes.
        keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        _drop_exports(user)
        summary: dict[str, dict[str, int]] = {}
        last: list[registry.PersonalData] = []
        for entry in registry.entries():
            if entry.model_class is user_model:
                last.append(entry)  # the account row last: other rows are found by its email
                continue
            summary[entry.label] = _erase_rows(entry, user)
        for entry in last:
            summary[entry.label] = _erase_rows(entry, user)
        summary = {label: counts for label, counts in summary.items() if any(counts.values())}
        user.refresh_from_db()
        ErasureRecord.objects.create(user=user, reason=reason, request=request, summary=summary)
        record(
            actor=None,
            action="privacy.erasure_completed",
            target=request,
            details={
                "subject": user.public_id,
                "reason": reason,
                "request": request.public_id if request else None,
                "rows": summary,
            },
        )
    return summary


def _erase_rows(entry: registry.PersonalData, user: Any) -> dict[str, int]:
    rows = entry.rows_about(user)
    count = rows.count()
    if not count:
        return {"deleted": 0, "anonymised": 0, "kept": 0}
    if entry.erasure == registry.Erasure.DELETE:
        rows.delete()
        return {"deleted": count, "anonymised": 0, "kept": 0}
    if entry.erasure == registry.Erasure.ANONYMISE:
        if entry.eraser is not None:
            entry.eraser(rows, user)
        else:
            rows.update(**entry.anonymise)
        return {"deleted": 0, "anonymised": count, "kept": 0}
    if entry.eraser is not None:  # kept, with what the record does not need removed
        entry.eraser(rows, user)
    elif entry.anonymise:
        rows.update(**entry.anonymise)
    return {"deleted": 0, "anonymised": 0, "kept": count}


# --- Deadlines -------------------------------------------------------------------------


def flag_overdue(*, now: Any = None) -> int:
    """Open requests past their 30-day deadline: flagged once, audited, officers told."""
    now = now or timezone.now()
    flagged = 0
    overdue = DataRequest.objects.filter(
        status__in=DataRequest.OPEN, due_at__lt=now, overdue_flagged_at__isnull=True
    ).order_by("pk")
    for request in overdue:
        with transaction.atomic():
            if not DataRequest.objects.filter(
                pk=request.pk, overdue_flagged_at__isnull=True
            ).update(overdue_flagged_at=now):
                continue
            record(
                actor=None,
                action="privacy.request_overdue",
                target=request,
                details={
                    "request": request.public_id,
                    "kind": request.kind,
                    "due_at": request.due_at.isoformat(),
                    "late_by_days": (now - request.due_at) // timedelta(days=1),
                },
            )
            permission = (
                "export.run" if request.kind == DataRequest.Kind.ACCESS else ("retention.manage")
            )
            notify_in_their_language(
                _officers(permission),
                kind="privacy",
                url=reverse("privacy:review", kwargs={"public_id": request.public_id}),
                text=functools.partial(_overdue_text, request),
            )
            flagged += 1
    return flagged
