from __future__ import annotations

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = structlog.get_logger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def help_page(request: HttpRequest) -> HttpResponse:
    # Public: people who cannot sign in need help the most (WCAG 3.2.6 consistent help).
    return render(request, "core/help.html")


def _error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    # Rendered without context processors that could fail again (no DB access): a 500
    # page must render even when the database is down.
    context = {
        "status": status,
        "title": title,
        "message": message,
        "request_id": getattr(request, "request_id", ""),
        "site_name": settings.SITE_NAME,
    }
    try:
        body = loader.get_template("error.html").render(context)
    except Exception:
        # The page itself failed (a deploy without collectstatic's manifest, a broken
        # template): answer with plain HTML instead of raising again, which made each of
        # the ~20 middleware layers above render the failing page once more.
        logger.exception("error_page_failed", status=status)
        plain = {**context, "language": get_language(), "reference": _("Reference")}
        body = _PLAIN_ERROR.format(**{k: escape(v) for k, v in plain.items()})
    return HttpResponse(body, status=status)


_PLAIN_ERROR = """<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8">
<title>{title} ({status}) · {site_name}</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p><a href="/">{site_name}</a></p>
<p>{reference}: <code>{request_id}</code></p></main></body></html>
"""


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        400,
        _("Bad request"),
        _("The request could not be understood. Check what you sent and try again."),
    )


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request, 403, _("Access denied"), _("You do not have permission to see this page.")
    )


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        404,
        _("Page not found"),
        _("There is nothing at this address. It may have moved or been removed."),
    )


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        500,
        _("Something went wrong"),
        _(
            "The server could not finish your request. It has been logged; please try again "
            "shortly."
        ),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        403,
        _("Form expired"),
        _(
            "This form could not be accepted because its security token is missing or expired. "
            "Go back, reload the page and try again."
        ),
    )
