"""Work a server process does once, before its first request, instead of during it.

Django imports the URLconf (and with it every API module, pydantic schema and the PDF
library) on the first request a process serves, and compiles each template the first
time it is rendered. Measured on the 2-core machine (bench/RESULTS.md): the URLconf
alone is about 4 s of CPU, so the first learners to reach a fresh worker waited seconds.
``syllabus serve`` calls :func:`warm_up` in every worker before it accepts connections.
"""

from __future__ import annotations

import time
from pathlib import Path

import structlog
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver

log = structlog.get_logger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent  # syllabus/


def _template_names() -> list[str]:
    """Every template of Syllabus's own folders, by the name views load it with."""
    names = []
    for folder in sorted(PACKAGE.glob("**/templates")):
        names += [
            path.relative_to(folder).as_posix()
            for path in sorted(folder.glob("**/*.html"))
            if path.is_file()
        ]
    return names


def warm_up() -> dict[str, float]:
    """Import the URLconf and compile the templates into the cached loader. Returns what
    it did (for the log line): seconds taken and templates compiled."""
    started = time.perf_counter()
    get_resolver().reverse_dict  # noqa: B018 (imports every urls module and API router)
    compiled = 0
    engine = engines["django"]
    for name in _template_names():
        try:
            engine.get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError):
            # A template shadowed by another app's, or a fragment of another engine:
            # rendering it for real reports the problem; warming up must not stop a worker.
            continue
        compiled += 1
    seconds = time.perf_counter() - started
    log.info("server.warmed_up", seconds=round(seconds, 2), templates=compiled)
    return {"seconds": seconds, "templates": compiled}
