"""Rate limits: per token, user or IP on the API; per IP on sign-in and other credential forms.

Counting is the ``limits`` library's moving window, stored in Redis when ``REDIS_URL`` is
set (so every process and server shares the counts) and in this process's memory
otherwise. If Redis stops answering, counting falls back to memory for 30 seconds at a
time: limits then hold per process instead of failing requests.

The middleware is ours: ``limits`` counts, but no maintained Django library picks the
bucket the way we need (the bearer token, the signed-in user, else the client IP) and
answers with the RateLimit-* headers and a JSON or HTML 429. ``core`` must not import
``accounts``, so a token request is bucketed by a hash of its bearer value, not by
loading the token.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from syllabus.core.middleware import client_ip

log = structlog.get_logger(__name__)

KEY_PREFIX = "syllabus-rl"
REDIS_RETRY_SECONDS = 30.0
_WARN_EVERY = 60.0


@dataclass(frozen=True)
class Decision:
    """The outcome of one limit check, with what the RateLimit-* headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the oldest counted request leaves the window
    window: int  # the window's length in seconds

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={self.window}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(self.reset, 1))
        return headers


def _storage_uri(url: str) -> str:
    # REDIS_URL accepts unix:// (redis-py's spelling); limits calls it redis+unix://.
    return "redis+unix://" + url.removeprefix("unix://") if url.startswith("unix://") else url


class Limiter:
    """Moving-window counters in ``storage_url`` (redis://... or memory://)."""

    def __init__(self, storage_url: str) -> None:
        self.storage_url = storage_url
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if not storage_url.startswith("memory://"):
            storage: Storage = storage_from_string(  # type: ignore[assignment]
                _storage_uri(storage_url),
                wrap_exceptions=True,
                key_prefix=KEY_PREFIX,
                socket_connect_timeout=0.5,
                socket_timeout=0.5,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._shared_down_until = 0.0
        self._last_warning = 0.0
        self._lock = threading.Lock()

    @property
    def shared(self) -> bool:
        """Counts are in Redis right now (not in this process's fallback memory)."""
        return self._shared is not None and time.monotonic() >= self._shared_down_until

    def _run(self, action: Callable[[MovingWindowRateLimiter], Decision]) -> Decision:
        if self._shared is not None and self.shared:
            try:
                return action(self._shared)
            except StorageError as exc:
                with self._lock:
                    self._shared_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                    warn = time.monotonic() - self._last_warning >= _WARN_EVERY
                    if warn:
                        self._last_warning = time.monotonic()
                if warn:
                    log.warning(
                        "ratelimit.storage_unavailable",
                        error=type(exc.storage_error).__name__,
                        fallback="memory",
                    )
        return action(self._memory)

    @staticmethod
    def _decide(
        strategy: MovingWindowRateLimiter, item: RateLimitItem, key: tuple[str, ...], hit: bool
    ) -> Decision:
        allowed = strategy.hit(item, *key) if hit else strategy.test(item, *key)
        stats = strategy.get_window_stats(item, *key)
        now = time.time()
        remaining = max(stats.remaining, 0)
        # An empty window has nothing to wait for; otherwise wait for its oldest entry.
        reset = 0 if remaining == item.amount else max(math.ceil(stats.reset_time - now), 0)
        return Decision(
            allowed=allowed,
            limit=item.amount,
            remaining=remaining,
            reset=reset,
            window=item.get_expiry(),
        )

    def hit(self, rate: str, *key: str) -> Decision:
        """Count one request against ``rate`` for ``key``; refused when over the limit."""
        item = parse(rate)
        return self._run(lambda strategy: self._decide(strategy, item, key, hit=True))

    def peek(self, rate: str, *key: str) -> Decision:
        """Whether one more request would pass, without counting it."""
        item = parse(rate)
        return self._run(lambda strategy: self._decide(strategy, item, key, hit=False))

    def reset(self) -> None:
        """Forget every count (tests, and operators after an incident)."""
        self._memory.storage.reset()
        if self._shared is not None:
            try:
                self._shared.storage.reset()
            except StorageError:
                log.warning("ratelimit.reset_failed", storage="redis")


_limiter: Limiter | None = None
_limiter_lock = threading.Lock()


def limiter() -> Limiter:
    """The process's limiter for settings.RATE_LIMIT_STORAGE_URL (rebuilt if it changes)."""
    global _limiter
    url = settings.RATE_LIMIT_STORAGE_URL
    with _limiter_lock:
        if _limiter is None or _limiter.storage_url != url:
            _limiter = Limiter(url)
        return _limiter


def reset_limits() -> None:
    limiter().reset()


def _is_auth_path(path: str) -> bool:
    """Entries ending in "/" match the path and everything under it; others exactly."""
    return any(
        path == entry or (entry.endswith("/") and path.startswith(entry))
        for entry in settings.RATE_LIMIT_AUTH_PATHS
    )


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _digest(value: str) -> str:
    # Bucket names never hold a usable credential, nor the hash the database stores.
    return hashlib.sha256(b"syllabus-ratelimit:" + value.encode()).hexdigest()[:32]


class RateLimitMiddleware:
    """Applies SYLLABUS_RATE_LIMIT_API to /api/ and SYLLABUS_RATE_LIMIT_AUTH to credential posts.

    Sits after AuthenticationMiddleware: a session request is counted per user id.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.RATE_LIMIT_ENABLED:
            return self.get_response(request)
        path = request.path_info
        is_api = path.startswith(settings.RATE_LIMIT_API_PREFIX)
        ip = client_ip(request) or "unknown"
        counter = limiter()
        bearer = _bearer(request) if is_api else None

        buckets: list[tuple[str, tuple[str, ...]]] = []
        if is_api:
            if bearer is not None:
                # Random bearer values would each get a fresh bucket: an address that sent
                # too many refused tokens is refused before its next token is looked at.
                rejected = counter.peek(settings.RATE_LIMIT_AUTH, "bad-token", ip)
                if not rejected.allowed:
                    return self._refuse(request, rejected, is_api, bucket="bad-token")
                buckets.append((settings.RATE_LIMIT_API, ("api", "token", _digest(bearer))))
            elif request.user.is_authenticated:
                buckets.append((settings.RATE_LIMIT_API, ("api", "user", str(request.user.pk))))
            else:
                buckets.append((settings.RATE_LIMIT_API, ("api", "ip", ip)))
        if request.method == "POST" and _is_auth_path(path):
            buckets.append((settings.RATE_LIMIT_AUTH, ("auth", "ip", ip)))

        decisions = [counter.hit(rate, *key) for rate, key in buckets]
        refused = [
            (d, key) for d, (_, key) in zip(decisions, buckets, strict=True) if not d.allowed
        ]
        if refused:
            decision, key = max(refused, key=lambda pair: pair[0].reset)
            return self._refuse(request, decision, is_api, bucket=":".join(key[:2]))

        response = self.get_response(request)
        if bearer is not None and response.status_code == 401:
            counter.hit(settings.RATE_LIMIT_AUTH, "bad-token", ip)
        if decisions and is_api:
            # Report the limit closest to refusing (the token endpoint has two).
            tightest = min(decisions, key=lambda d: (d.remaining, -d.reset))
            for name, value in tightest.headers().items():
                response[name] = value
        return response

    @staticmethod
    def _refuse(
        request: HttpRequest, decision: Decision, is_api: bool, bucket: str
    ) -> HttpResponse:
        wait = max(decision.reset, 1)
        log.warning("ratelimit.refused", bucket=bucket, path=request.path, retry_after=wait)
        response: HttpResponse
        if is_api:
            response = JsonResponse(
                {
                    "detail": f"Too many requests. Try again in {wait} seconds.",
                    "code": "rate_limited",
                },
                status=429,
            )
        else:
            response = render(request, "429.html", {"retry_after": wait}, status=429)
        for name, value in decision.headers().items():
            response[name] = value
        return response
