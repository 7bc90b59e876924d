"""Container health check: GET /health/live on the local web server.

Run by Docker's HEALTHCHECK (python /opt/syllabus/healthcheck.py); exits 0 when the
process answers 200. Sends the first of SYLLABUS_ALLOWED_HOSTS as the Host header, since
Django refuses requests for hosts it does not serve. Liveness only: a database outage
must not get the container restarted (readiness is /health/ready).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

PORT = os.environ.get("SYLLABUS_HEALTHCHECK_PORT", "8000")


def host() -> str:
    for name in os.environ.get("SYLLABUS_ALLOWED_HOSTS", "localhost").split(","):
        name = name.strip().lstrip(".")
        if name and name != "*":
            return name
    return "localhost"


def main() -> int:
    request = urllib.request.Request(  # a fixed http://127.0.0.1 URL
        f"http://127.0.0.1:{PORT}/health/live", headers={"Host": host()}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"health check failed: {error}", file=sys.stderr)  # noqa: T201 (Docker shows it)
        return 1


if __name__ == "__main__":
    sys.exit(main())
