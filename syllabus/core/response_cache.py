"""Caching whole API answers that are the same for everyone who may see the same things.

``cache_api_response`` wraps a django-ninja operation: the data it returns is kept in the
cache under a key made of the operation, the full path and query, the host (answers hold
absolute URLs), the language (labels are translated), the caller's *audience* and a
*generation* read from the cache. The services that change what an answer shows bump the
generation (the catalog's is bumped on every course change, after commit), so a change is
seen on the next request; ``SYLLABUS_API_CACHE_SECONDS`` only bounds what changes behind
Syllabus's back. The audience says who shares an answer: ``None`` means "this caller's
answer is their own" and the operation runs uncached.

Django's ``cache_page`` keys on the URL and headers only, so it would hand one person's
answer to another with other permissions; this module adds the audience and the
generation, which is why it is written here.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import get_language

F = TypeVar("F", bound=Callable[..., Any])

# Bumped when the shape of cached answers changes: a deploy never reads an older shape.
VERSION = 1


def response_key(request: HttpRequest, operation: str, audience: str, generation: Any) -> str:
    raw = "\x1f".join(
        [
            operation,
            request.get_host(),
            request.get_full_path(),
            get_language() or "",
            audience,
            str(generation),
        ]
    )
    return "api:" + hashlib.sha256(raw.encode()).hexdigest()


def cache_api_response(
    *,
    audience: Callable[[HttpRequest], str | None],
    generation: Callable[[], Any],
    timeout: int | None = None,
) -> Callable[[F], F]:
    """Cache the operation's return value per audience (see the module docstring).
    Only successful answers are kept: an exception (a 404, a 422) is raised each time."""

    def decorate(operation: F) -> F:
        name = f"{operation.__module__}.{operation.__qualname__}"

        @functools.wraps(operation)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            seconds = settings.API_CACHE_SECONDS if timeout is None else timeout
            who = audience(request) if seconds and request.method == "GET" else None
            if who is None:
                return operation(request, *args, **kwargs)
            key = response_key(request, name, who, generation())
            found = cache.get(key, version=VERSION)
            if found is not None:
                request.api_cache = "hit"  # type: ignore[attr-defined]
                return found
            value = operation(request, *args, **kwargs)
            cache.set(key, value, timeout=seconds, version=VERSION)
            request.api_cache = "miss"  # type: ignore[attr-defined]
            return value

        # django-ninja reads the parameters from the signature; with postponed annotations
        # it would evaluate them in this module's namespace: hand it the resolved types.
        wrapper.__signature__ = inspect.signature(operation, eval_str=True)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
