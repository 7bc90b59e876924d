"""Notifications: creating them, marking them read, email preferences, and the emails.

``notify`` is what higher apps call (courses for announcements): it writes one row per
recipient with bulk inserts inside the caller's transaction and, once that commits,
queues email jobs for the people who want each notification at once. The request never
talks to the mail server: jobs do (``tasks``), through ``core.email`` and its breaker, and
a failed send makes the job retry; ``emailed_at`` records what went out, so a retried or
repeated job never emails the same notification twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import structlog
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.communication.models import Notification, NotificationPreference
from syllabus.core.email import email_send, in_language_of
from syllabus.core.jobs import enqueue_on_commit

log = structlog.get_logger("syllabus.notifications")

EmailMode = NotificationPreference.EmailMode

INSERT_BATCH = 1000  # rows per INSERT statement
EMAIL_BATCH = 200  # notifications per immediate-email job
PARAMS_CHUNK = 5000  # ids per IN (...) list
DIGEST_MAX_ITEMS = 50  # a digest lists this many and counts the rest
DIGEST_WINDOW = timedelta(days=7)  # older unemailed notifications are not sent any more
MARK_READ_MAX_IDS = 500
TITLE_MAX = 200
BODY_MAX = 2000
UNREAD_CACHE_SECONDS = 3600
DJANGO_DEFAULT_DOMAIN = "example.com"  # the sites framework's domain until someone sets it


# --- The unread count (the header badge) ----------------------------------------------------


def unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user_id: int) -> int:
    """Unread notifications of one person: cached, one COUNT on a partial index otherwise."""
    value = cache.get(unread_key(user_id))
    if value is None:
        value = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
        # Inside a transaction the count may include writes that later roll back.
        if not transaction.get_connection().in_atomic_block:
            cache.set(unread_key(user_id), value, timeout=UNREAD_CACHE_SECONDS)
    return int(value)


def _forget_unread(user_ids: Iterable[int]) -> None:
    """Drop cached counts now (this request reads its own change) and again after commit
    (another request may have cached the old count in between)."""
    keys = [unread_key(user_id) for user_id in set(user_ids)]

    def forget() -> None:
        for start in range(0, len(keys), 1000):
            cache.delete_many(keys[start : start + 1000])

    forget()
    transaction.on_commit(forget)


# --- Creating notifications -----------------------------------------------------------------


def _clean_url(url: str) -> str:
    """A path on this site (``/courses/...``) or an absolute http(s) URL; nothing else."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > 500:
        raise ValidationError({"url": _("A notification link is at most 500 characters.")})
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    if url.startswith(("https://", "http://")):
        return url
    raise ValidationError({"url": _("A notification link must be a path on this site.")})


_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # core.models' alphabet: 5 bits a character


def _new_public_id() -> str:
    """``ntf_`` and 16 characters from 80 random bits, like ``core.models.new_public_id``
    but from one call to the OS's generator: notifying a large course makes thousands."""
    bits = int.from_bytes(secrets.token_bytes(10), "big")
    return "ntf_" + "".join(_ID_ALPHABET[(bits >> (5 * i)) & 31] for i in range(16))


def _recipient_ids(recipients: Iterable[Any]) -> list[int]:
    if isinstance(recipients, QuerySet):
        recipients = recipients.values_list("pk", flat=True)
    ids: list[int] = []
    seen: set[int] = set()
    for recipient in recipients:
        user_id = recipient if isinstance(recipient, int) else recipient.pk
        if user_id not in seen:
            seen.add(user_id)
            ids.append(user_id)
    return ids


@transaction.atomic
def notify(
    recipients: Iterable[Any], *, kind: str, title: str, body: str = "", url: str = ""
) -> int:
    """Notify people (users, user ids or a user queryset); returns how many were notified.

    One INSERT per ``INSERT_BATCH`` recipients. After commit, people whose preference is
    immediate (the default) get an email from a background job; digest readers get it in
    their next daily summary; ``off`` means in the app only.
    """
    kind = kind.strip()
    title = " ".join(title.split())
    if not kind or len(kind) > 40:
        raise ValidationError({"kind": _("A notification kind is 1 to 40 characters.")})
    if not title:
        raise ValidationError({"title": _("A notification needs a title.")})
    title = title[: TITLE_MAX - 1] + "…" if len(title) > TITLE_MAX else title
    body = body.strip()
    body = body[: BODY_MAX - 1] + "…" if len(body) > BODY_MAX else body
    url = _clean_url(url)
    user_ids = _recipient_ids(recipients)
    if not user_ids:
        return 0
    now = timezone.now()
    created: list[Notification] = []
    for start in range(0, len(user_ids), INSERT_BATCH):
        created += Notification.objects.bulk_create(
            [
                Notification(
                    public_id=_new_public_id(),
                    recipient_id=user_id,
                    kind=kind,
                    title=title,
                    body=body,
                    url=url,
                    created_at=now,
                )
                for user_id in user_ids[start : start + INSERT_BATCH]
            ]
        )
    _forget_unread(user_ids)
    _queue_immediate_emails(created)
    return len(created)


def _queue_immediate_emails(created: Sequence[Notification]) -> None:
    """One job per EMAIL_BATCH notifications whose recipient wants immediate emails."""
    from syllabus.communication.tasks import notification_email_task

    recipients = sorted({n.recipient_id for n in created})
    not_immediate: set[int] = set()
    # In chunks: PostgreSQL takes at most 65,535 parameters in one statement.
    for start in range(0, len(recipients), PARAMS_CHUNK):
        not_immediate.update(
            NotificationPreference.objects.filter(
                user_id__in=recipients[start : start + PARAMS_CHUNK]
            )
            .exclude(email_mode=EmailMode.IMMEDIATE)
            .values_list("user_id", flat=True)
        )
    ids = [n.pk for n in created if n.recipient_id not in not_immediate]
    for start in range(0, len(ids), EMAIL_BATCH):
        enqueue_on_commit(
            notification_email_task, notification_ids=ids[start : start + EMAIL_BATCH]
        )


@transaction.atomic
def notifications_withdraw(*, kind: str, url: str) -> int:
    """Remove the unread notifications of ``kind`` leading to ``url`` (its target is gone)."""
    pending = Notification.objects.filter(kind=kind, url=url, read_at__isnull=True)
    user_ids = list(pending.values_list("recipient_id", flat=True).distinct())
    deleted, _ = pending.delete()
    _forget_unread(user_ids)
    return deleted


# --- Reading them ---------------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(*, user: Any, public_ids: Sequence[str]) -> int:
    """Mark some of the user's notifications read; unknown ids write nothing.

    Raises ValidationError when an id is not one of the user's notifications (or too many
    ids are sent). Returns how many were unread before.
    """
    wanted = set(public_ids)
    if not wanted:
        raise ValidationError({"ids": _("Give at least one notification id.")})
    if len(wanted) > MARK_READ_MAX_IDS:
        raise ValidationError(
            {"ids": _("Give at most %(max)s ids at once.") % {"max": MARK_READ_MAX_IDS}}
        )
    mine = Notification.objects.filter(recipient=user, public_id__in=wanted)
    found = set(mine.values_list("public_id", flat=True))
    missing = sorted(wanted - found)
    if missing:
        raise ValidationError(
            {
                "ids": _("You have no notification with the id %(ids)s.")
                % {"ids": ", ".join(missing[:5])}
            }
        )
    changed = mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    if changed:
        _forget_unread([user.pk])
    return changed


@transaction.atomic
def notifications_mark_all_read(*, user: Any) -> int:
    changed = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        _forget_unread([user.pk])
    return changed


def notification_open(*, user: Any, notification: Notification) -> Notification:
    """Following a notification's link reads it."""
    if notification.recipient_id != user.pk:
        raise ValidationError(_("This notification is not yours."))
    if notification.read_at is None:
        with transaction.atomic():
            notification.read_at = timezone.now()
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=notification.read_at
            )
            _forget_unread([user.pk])
    return notification


# --- Preferences ----------------------------------------------------------------------------


def email_mode_of(user: Any) -> str:
    pref = NotificationPreference.objects.filter(user=user).values_list("email_mode", flat=True)
    return pref.first() or EmailMode.IMMEDIATE


@transaction.atomic
def preference_set(*, user: Any, email_mode: str) -> NotificationPreference:
    if email_mode not in EmailMode.values:
        raise ValidationError(
            {"email_mode": _("Choose one of: %(modes)s.") % {"modes": ", ".join(EmailMode.values)}}
        )
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_mode": email_mode}
    )
    return pref


# --- Emails (called by the jobs in tasks.py) ------------------------------------------------


def site_url() -> str:
    """The site's address for links in emails (jobs have no request to ask).

    ``settings.SITE_URL`` when the configuration has one; else the sites framework's
    domain once an operator has set it; else the first concrete host in ALLOWED_HOSTS.
    HTTPS when Syllabus serves TLS or sits behind a TLS proxy.
    """
    configured = str(getattr(settings, "SITE_URL", "") or "")
    if configured:
        return configured.rstrip("/") + "/"
    domain = Site.objects.get_current().domain
    if not domain or domain == DJANGO_DEFAULT_DOMAIN:
        hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))]
        domain = hosts[0] if hosts else "localhost"
    secure = getattr(settings, "TLS", False) or getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    return f"{'https' if secure else 'http'}://{domain}/"


def _link(url: str) -> str:
    return urljoin(site_url(), url) if url else ""


def _email_context() -> dict[str, Any]:
    return {
        "site_name": settings.SITE_NAME,
        "preferences_url": _link(reverse("communication:preferences")),
        "notifications_url": _link(reverse("communication:list")),
    }


def _headers(preferences_url: str) -> dict[str, str]:
    # Mail clients show an unsubscribe link; the preferences page turns emails off.
    return {"Auto-Submitted": "auto-generated", "List-Unsubscribe": f"<{preferences_url}>"}


def _pending() -> QuerySet[Notification]:
    return Notification.objects.filter(
        emailed_at__isnull=True, read_at__isnull=True, recipient__is_active=True
    ).exclude(recipient__email="")


def _wants(mode: str) -> Q:
    if mode == EmailMode.IMMEDIATE:
        return Q(recipient__notification_preference__isnull=True) | Q(
            recipient__notification_preference__email_mode=EmailMode.IMMEDIATE
        )
    return Q(recipient__notification_preference__email_mode=mode)


def notifications_email_immediate(*, notification_ids: Sequence[int]) -> int:
    """Email each of these notifications that is still due; returns how many were sent.

    Each send is followed by setting its ``emailed_at``, so when the mail server fails
    half-way the job's retry sends only the rest. Skipped: already emailed or read, the
    recipient inactive or no longer wanting immediate emails.
    """
    due = (
        _pending()
        .filter(_wants(EmailMode.IMMEDIATE), pk__in=list(notification_ids))
        .select_related("recipient")
        .order_by("pk")
    )
    context = _email_context()
    sent = 0
    for notification in due:
        # In the recipient's language: the template's words and the dates.
        with in_language_of(notification.recipient):
            text = render_to_string(
                "communication/email/notification.txt",
                {**context, "notification": notification, "link": _link(notification.url)},
            )
        email_send(
            subject=f"[{settings.SITE_NAME}] {notification.title}",
            body=text,
            to=[notification.recipient.email],
            headers=_headers(context["preferences_url"]),
        )
        Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        sent += 1
    if sent:
        log.info("notifications.emailed", count=sent)
    return sent


def digest_recipient_ids(*, now: datetime | None = None) -> list[int]:
    """People who chose the daily digest and have something new for it."""
    since = (now or timezone.now()) - DIGEST_WINDOW
    return sorted(
        set(
            _pending()
            .filter(_wants(EmailMode.DAILY_DIGEST), created_at__gte=since)
            .values_list("recipient_id", flat=True)
            .distinct()
        )
    )


def notifications_email_digest(*, user_id: int, now: datetime | None = None) -> int:
    """One email listing the person's new notifications since their last digest.

    Returns how many notifications it covered (0: nothing sent). Running it twice sends
    one email: the second run finds everything marked emailed.
    """
    now = now or timezone.now()
    due = _pending().filter(
        _wants(EmailMode.DAILY_DIGEST),
        recipient_id=user_id,
        created_at__gte=now - DIGEST_WINDOW,
        created_at__lte=now,
    )
    items = list(due.select_related("recipient").order_by("-created_at", "-pk")[:DIGEST_MAX_ITEMS])
    if not items:
        return 0
    total = due.count() if len(items) == DIGEST_MAX_ITEMS else len(items)
    recipient = items[0].recipient
    context = _email_context()
    with in_language_of(recipient):
        text = render_to_string(
            "communication/email/digest.txt",
            {
                **context,
                "user": recipient,
                "items": [(n, _link(n.url)) for n in items],
                "total": total,
                "more": total - len(items),
            },
        )
        summary = ngettext(
            "Your daily summary: %(count)s new notification",
            "Your daily summary: %(count)s new notifications",
            total,
        ) % {"count": total}
    email_send(
        subject=f"[{settings.SITE_NAME}] {summary}",
        body=text,
        to=[recipient.email],
        headers=_headers(context["preferences_url"]),
    )
    # Everything the email counted (listed or "and N more") is now emailed.
    marked = due.filter(emailed_at__isnull=True).update(emailed_at=timezone.now())
    log.info("notifications.digest_emailed", user_id=user_id, count=marked)
    return total
