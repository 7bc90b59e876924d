"""The production checklist as a command (``syllabus check --deploy``).

The seed's Quick Reference lists what must be true before going live. Everything that
software can see from the running configuration is checked here, each item pass or fail
with the reason; what it cannot see (a penetration test, DDoS protection, a WAF...) is
printed as a manual item with the page of the docs that says how. Django's own deployment
checks are one of the items.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import checks as django_checks
from django.db import DatabaseError, connection
from django.template.defaultfilters import pluralize
from django.utils import timezone

PASS, FAIL, MANUAL = "pass", "fail", "manual"
HSTS_MIN_SECONDS = 31_536_000  # one year
BACKUP_MAX_AGE = timedelta(hours=26)
CERT_MIN_DAYS = 14
DOCS = "docs/"


@dataclass(frozen=True)
class Item:
    name: str
    status: str
    reason: str
    doc: str = ""


def _item(name: str, ok: bool, good: str, bad: str, doc: str = "") -> Item:
    return Item(name, PASS if ok else FAIL, good if ok else bad, doc)


def debug_off() -> Item:
    return _item(
        "DEBUG is off",
        not settings.DEBUG,
        "production mode (SYLLABUS_DEBUG=false)",
        "SYLLABUS_DEBUG is true: error pages show code and settings",
        "configuration.md#production-mode",
    )


def tls_on() -> Item:
    on = settings.SECURE_SSL_REDIRECT and settings.SESSION_COOKIE_SECURE
    return _item(
        "TLS on",
        bool(on and settings.CSRF_COOKIE_SECURE),
        "HTTP is redirected to HTTPS and cookies are Secure (SYLLABUS_TLS=true)",
        "SYLLABUS_TLS is false: pages and cookies travel unencrypted",
        "configuration.md#tls-and-proxies",
    )


def hsts_on() -> Item:
    seconds = settings.SECURE_HSTS_SECONDS or 0
    return _item(
        "HSTS on",
        seconds >= HSTS_MIN_SECONDS and settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
        f"Strict-Transport-Security max-age={seconds}, includeSubDomains",
        f"HSTS max-age is {seconds} s: at least {HSTS_MIN_SECONDS} (a year) with TLS",
        "configuration.md#tls-and-proxies",
    )


def secret_key_strong() -> Item:
    key = settings.SECRET_KEY
    weak = (
        len(key) < 50
        or len(set(key)) < 5
        or key.startswith("django-insecure")
        or "insecure" in key.lower()
    )
    return _item(
        "Secret key strong",
        not weak,
        f"{len(key)} characters, {len(set(key))} distinct",
        "SYLLABUS_SECRET_KEY is shorter than 50 characters, repetitive or a default",
        "configuration.md#the-secret-key",
    )


def field_keys_present() -> Item:
    from syllabus.core.crypto import keyring

    try:
        ring = keyring()
    except Exception as error:  # a bad ring is a failed item, not a crash
        return Item("Field encryption keys", FAIL, str(error), "encryption.md")
    if weak := ring.weak_key_ids():
        return Item(
            "Field encryption keys",
            FAIL,
            f"weak key{pluralize(len(weak))}: {', '.join(weak)}",
            "encryption.md",
        )
    return Item(
        "Field encryption keys",
        PASS,
        f"{len(ring.key_ids)} key{pluralize(len(ring.key_ids))} in SYLLABUS_FIELD_KEYS, "
        f"current {ring.current.key_id}",
        "encryption.md",
    )


def backup_verified() -> Item:
    from syllabus.backups.models import BackupRun

    since = timezone.now() - BACKUP_MAX_AGE
    verified = (
        BackupRun.objects.filter(
            kind=BackupRun.Kind.BACKUP,
            status=BackupRun.Status.SUCCEEDED,
            verification=BackupRun.Verification.PASSED,
            finished_at__gte=since,
        )
        .order_by("-finished_at")
        .first()
    )
    return _item(
        "Verified backup in the last 26 hours",
        verified is not None,
        f"backup {verified.archive or verified.public_id} verified" if verified else "",
        "no backup both taken and verified in the last 26 hours: "
        "run `syllabus backup` and `syllabus verify-backup`",
        "backup.md",
    )


def alert_rules_present() -> Item:
    rules = Path(settings.PACKAGE_DIR).parent / "deploy" / "prometheus" / "alerts.yml"
    built_in = settings.ALERTS_ENABLED
    shipped = rules.exists()
    if built_in:
        reason = "the worker evaluates the built-in alerts and emails administrators"
        if shipped:
            reason += "; Prometheus rules are in deploy/prometheus/alerts.yml"
        return Item("Alerting configured", PASS, reason, "observability.md")
    return Item(
        "Alerting configured",
        PASS if shipped else FAIL,
        "built-in alerts are off (SYLLABUS_ALERTS_ENABLED=false): load "
        "deploy/prometheus/alerts.yml into your Prometheus"
        if shipped
        else "built-in alerts are off and the Prometheus rules file is missing",
        "observability.md",
    )


def admin_mfa_enforced() -> Item:
    from syllabus.accounts.mfa import user_has_mfa
    from syllabus.accounts.models import RoleAssignment

    if "admin" not in settings.MFA_REQUIRED_ROLES:
        return Item(
            "Administrator MFA enforced",
            FAIL,
            "SYLLABUS_MFA_REQUIRED_ROLES does not include admin",
            "security.md",
        )
    admins = {
        a.user
        for a in RoleAssignment.objects.filter(
            role__slug="admin", user__is_active=True
        ).select_related("user")
    }
    missing = sorted(u.email for u in admins if not user_has_mfa(u))
    if not admins:
        held = "no active administrator yet (`syllabus createadmin` makes one)"
    elif len(admins) == 1:
        held = "the one administrator has a second factor"
    else:
        held = f"all {len(admins)} administrators have a second factor"
    return _item(
        "Administrator MFA enforced",
        not missing,
        f"required for administrators; {held}",
        f"required, but {len(missing)} administrator{pluralize(len(missing))} "
        f"{pluralize(len(missing), 'has,have')} no second factor yet: " + ", ".join(missing[:5]),
        "security.md",
    )


def health_green() -> Item:
    from syllabus.ops.health import CHECKS

    # The same checks as /health, run here one after the other (a command has no
    # request deadline, and the checks then share this process's database connection).
    bad: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            outcome = check()
        except Exception as error:
            bad[name] = f"error ({error})"
            continue
        if outcome.status != "ok":
            bad[name] = f"{outcome.status} ({outcome.message})"
    return _item(
        "Health green",
        not bad,
        f"{', '.join(sorted(CHECKS))}: ok",
        "; ".join(f"{name}: {problem}" for name, problem in sorted(bad.items())),
        "observability.md",
    )


def django_deploy_checks() -> Item:
    messages = [
        m
        for m in django_checks.run_checks(include_deployment_checks=True)
        if m.level >= django_checks.WARNING and not m.is_silenced()
    ]
    return _item(
        "Django deployment checks",
        not messages,
        "no warnings",
        "; ".join(f"{m.id}: {m.msg}" for m in messages[:5]),
        "security.md",
    )


def encryption_at_rest() -> Item:
    """What can be observed of encryption at rest: the database connection's TLS and
    the uploaded files' server-side encryption. Disk encryption itself is the storage
    layer's job and cannot be seen from here (docs/security.md says how)."""
    notes = []
    ok = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            row = cursor.fetchone()
        if row and row[0]:
            notes.append("the database connection uses TLS")
        else:
            notes.append(
                "the database connection is not encrypted (add sslmode=verify-full to "
                "DATABASE_URL when the database is on another machine)"
            )
    else:
        notes.append("SQLite: put SYLLABUS_DATA_DIR on an encrypted volume")
    if settings.STORAGE_BACKEND == "s3":
        if settings.S3_SSE == "none":
            ok = False
            notes.append("uploaded files on S3 are not server-side encrypted (SYLLABUS_S3_SSE)")
        else:
            notes.append(f"uploaded files on S3 use server-side encryption ({settings.S3_SSE})")
    return Item(
        "Encryption at rest (observable part)",
        PASS if ok else FAIL,
        "; ".join(notes) + "; confirm the volumes are encrypted (manual)",
        "security.md#encryption-at-rest",
    )


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def email_delivered() -> Item:
    """Emails reach people, and not through the log: without SMTP, Django's console
    backend prints every email, with its password-reset or invitation link, to standard
    output, which production ships to the log store; administrators' alerts never leave."""
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return Item(
            "Email sent by SMTP",
            FAIL,
            "SYLLABUS_SMTP_HOST is not set: emails are printed to the log, reset and "
            "invitation links included, and reach no one (alerts neither)",
            "configuration.md#email",
        )
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    local = settings.EMAIL_HOST in LOOPBACK_HOSTS
    return _item(
        "Email sent by SMTP",
        settings.EMAIL_USE_TLS or local,
        f"through {where}"
        + (" with STARTTLS" if settings.EMAIL_USE_TLS else " on this machine, without TLS"),
        f"through {where} without TLS (SYLLABUS_SMTP_STARTTLS=false): reset links cross "
        "the network unencrypted",
        "configuration.md#email",
    )


def sms_delivered() -> Item:
    """Text-message codes reach phones: the console gateway prints them to the log, where
    anyone reading the logs holds a second factor, and the person waits in vain."""
    return _item(
        "Text messages sent by a gateway",
        settings.SMS_GATEWAY == "http",
        "one-time codes by text message go to SYLLABUS_SMS_GATEWAY_URL",
        "SYLLABUS_SMS_GATEWAY is console: the one-time codes people choose to get by text "
        "message are printed to the log and never reach their phones",
        "configuration.md#sessions-and-mfa",
    )


def certificate_valid() -> Item:
    from syllabus.ops.business import tls_certificate_expiry

    if not settings.TLS_CERT_FILE:
        return Item(
            "SSL certificate valid",
            MANUAL,
            "TLS ends at a proxy this process cannot see: check the certificate's expiry "
            "there, or set SYLLABUS_TLS_CERT_FILE so Syllabus checks and alerts on it",
            "observability.md",
        )
    expiry = tls_certificate_expiry()
    if expiry is None:
        return Item("SSL certificate valid", FAIL, "the certificate file cannot be read")
    days = (expiry - time.time()) / 86400
    return _item(
        "SSL certificate valid",
        days >= CERT_MIN_DAYS,
        f"expires in {days:.0f} days",
        f"expires in {days:.0f} days (renew at least {CERT_MIN_DAYS} days before)",
        "observability.md",
    )


AUTOMATIC: tuple[Callable[[], Item], ...] = (
    debug_off,
    tls_on,
    hsts_on,
    secret_key_strong,
    field_keys_present,
    django_deploy_checks,
    admin_mfa_enforced,
    email_delivered,
    sms_delivered,
    backup_verified,
    alert_rules_present,
    health_green,
    encryption_at_rest,
    certificate_valid,
)

MANUAL_ITEMS: tuple[Item, ...] = (
    Item(
        "Security scanning completed",
        MANUAL,
        "CI runs bandit and the dependency audit; also scan the deployed site",
        "ci.md",
    ),
    Item("Penetration testing performed", MANUAL, "by an independent tester", "security.md"),
    Item("DDoS protection configured", MANUAL, "at the CDN or load balancer", "security.md"),
    Item("WAF rules applied", MANUAL, "at the CDN or load balancer", "security.md"),
    Item(
        "Failover procedures documented and tested",
        MANUAL,
        "rehearse promoting the replica",
        "high-availability.md",
    ),
    Item("Runbooks tested", MANUAL, "rehearse each runbook on a copy", "runbooks/"),
    Item("Dashboard deployed", MANUAL, "import deploy/grafana/ into Grafana", "observability.md"),
)


# The item each check reports, for when a check cannot run at all.
NAMES = {
    "debug_off": "DEBUG is off",
    "tls_on": "TLS on",
    "hsts_on": "HSTS on",
    "secret_key_strong": "Secret key strong",  # nosec B105  # a check's label
    "field_keys_present": "Field encryption keys",
    "backup_verified": "Verified backup in the last 26 hours",
    "alert_rules_present": "Alerting configured",
    "admin_mfa_enforced": "Administrator MFA enforced",
    "email_delivered": "Email sent by SMTP",
    "sms_delivered": "Text messages sent by a gateway",
    "health_green": "Health green",
    "django_deploy_checks": "Django deployment checks",
    "encryption_at_rest": "Encryption at rest (observable part)",
    "certificate_valid": "SSL certificate valid",
}


def _could_not(error: Exception) -> str:
    if isinstance(error, DatabaseError) and (
        "no such table" in str(error) or "does not exist" in str(error)
    ):
        return "the database has no tables yet: run `syllabus migrate`"
    return f"could not check: {error}"


def run_checklist() -> list[Item]:
    items = []
    for check in AUTOMATIC:
        try:
            items.append(check())
        except Exception as error:  # one broken check must not hide the others
            name = NAMES.get(check.__name__, check.__name__.replace("_", " "))
            items.append(Item(name, FAIL, _could_not(error)))
    return [*items, *MANUAL_ITEMS]
