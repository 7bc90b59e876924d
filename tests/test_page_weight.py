"""Page weight (seed 2.4): each learner page, with the CSS, scripts, images and icons it
links, weighs under 200 KB gzip-compressed, and asks no other host for anything.

The pages are fetched as a learner of the demo data with the test client; the resources
are read from the static files (the finders) or, for anything else on our origin (course
images, signed media), fetched the same way. Videos and captions are not counted: a
player streams them as they play (their start time is the benchmark's "video start").
"""

from __future__ import annotations

import gzip
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from syllabus.accounts.models import User
from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
from scenario_data import collect  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 200 * 1024
# Attributes that make the browser fetch something when the page loads.
LOADED = {
    ("link", "href"),  # stylesheets, icons, preloads, manifests
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "srcset"),
    ("input", "src"),
    ("iframe", "src"),
    ("embed", "src"),
    ("object", "data"),
}
STREAMED = {"video", "audio", "track"}  # media elements: streamed as played, not loaded
LINK_RELS_LOADED = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "preload",
    "manifest",
    "modulepreload",
    "mask-icon",
}


class Resources(HTMLParser):
    """URLs a browser loads with the page (and every src/href pointing at another host)."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.foreign: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name in ("src", "href", "srcset", "data", "poster"):
            for url in _urls(values.get(name, ""), srcset=name == "srcset"):
                if _is_foreign(url) and (tag, name) != ("a", "href"):
                    self.foreign.append(f"<{tag} {name}={url}>")
                if tag in STREAMED or (tag, name) not in LOADED:
                    continue
                if tag == "link" and not set(values.get("rel", "").lower().split()) & (
                    LINK_RELS_LOADED
                ):
                    continue
                self.loaded.append(url)


def _urls(value: str, *, srcset: bool) -> list[str]:
    if not value:
        return []
    if srcset:
        return [part.strip().split()[0] for part in value.split(",") if part.strip()]
    return [value.strip()]


def _is_foreign(url: str) -> bool:
    """A URL the browser would fetch from another origin (data: and fragments are not)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "mailto", "tel", "javascript"):
        return False
    return bool(parts.netloc) and parts.hostname not in {"testserver", "localhost", "127.0.0.1"}


HASHED = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)$")


def _body(client: Client, url: str) -> bytes:
    """The bytes of a resource of our origin: a static file, else what the server sends."""
    path = urlsplit(url).path
    static = str(settings.STATIC_URL)
    if path.startswith(static):
        name = path.removeprefix(static)
        found = finders.find(name) or finders.find(HASHED.sub(r"\1", name))
        if found:
            return Path(str(found)).read_bytes()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    content: bytes = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return content


def weigh(client: Client, url: str) -> tuple[int, dict[str, int], list[str]]:
    """(total gzip bytes, gzip bytes of each part, foreign references) of a page."""
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content
    parser = Resources()
    parser.feed(html.decode())
    parts = {"(the page)": len(gzip.compress(html))}
    for resource in dict.fromkeys(parser.loaded):
        if resource.startswith("data:") or _is_foreign(resource):
            continue  # inline (counted with the page) or reported as foreign
        parts[resource] = len(gzip.compress(_body(client, resource)))
    return sum(parts.values()), parts, parser.foreign


def test_the_parser_finds_loaded_and_foreign_resources():
    parser = Resources()
    parser.feed(
        '<link rel="stylesheet" href="/static/app.css"><link rel="canonical" href="/x">'
        '<script src="/static/app.js"></script><img src="data:image/png;base64,AA" alt="">'
        '<img srcset="/a.png 1x, /b.png 2x" alt=""><video src="/learn/v/media/video/"></video>'
        '<a href="https://example.org/help">help</a>'
        '<script src="https://cdn.example.net/lib.js"></script>'
    )
    assert parser.loaded == [
        "/static/app.css",
        "/static/app.js",
        "data:image/png;base64,AA",
        "/a.png",
        "/b.png",
        "https://cdn.example.net/lib.js",
    ]
    # A link for the reader to follow is not a request of the page; a script is.
    assert parser.foreign == ["<script src=https://cdn.example.net/lib.js>"]


def test_learner_pages_weigh_under_200_kb_compressed_and_use_no_other_host():
    from syllabus.ops.demo.loader import load_demo

    load_demo()
    data = collect(learners_limit=50)
    learner = next(
        x
        for x in data["learners"]
        if any(e["quizzes"] for e in x["courses"]) and any(e["videos"] for e in x["courses"])
    )
    quizzing = next(e for e in learner["courses"] if e["quizzes"])
    watching = next(e for e in learner["courses"] if e["videos"])
    user = User.objects.get(email=learner["email"])
    client = Client()
    client.force_login(user)
    mark_recent_mfa(client, user)
    from syllabus.privacy.selectors import current_policy_ids
    from syllabus.privacy.services import consent_accept

    if current_policy_ids():
        consent_accept(user=user, document_ids=current_policy_ids())

    started = client.post(f"/quizzes/quiz/{quizzing['quizzes'][0]}/start/")
    assert started.status_code == 302, started.status_code
    pages = {
        "dashboard": "/dashboard/",
        "course outline": f"/learn/course/{quizzing['course']}/",
        "text lesson": f"/learn/{quizzing['lessons'][-1]}/",
        "video lesson": f"/learn/{watching['videos'][0]}/",
        "quiz attempt": started["Location"],
        "grades": "/grades/",
        "course grades": f"/grades/course/{quizzing['course']}/",
    }
    heavy, foreign = {}, {}
    for name, url in pages.items():
        total, parts, others = weigh(client, url)
        assert len(parts) > 1, f"{name}: no stylesheet or script found in {url}"
        if total >= LIMIT:
            biggest = sorted(parts.items(), key=lambda kv: -kv[1])[:5]
            heavy[name] = f"{total / 1024:.0f} KB: {biggest}"
        if others:
            foreign[name] = others
    assert not heavy, heavy
    assert not foreign, foreign
