"""Markdown written by instructors (lessons, announcements) turned into safe HTML.

Two steps, each done by a maintained library:

1. markdown-it-py parses CommonMark plus GFM tables and ~~strikethrough~~. Its ``html``
   option is off, so raw HTML in the source (``<script>``, ``<img onerror=...>``, comments)
   is escaped and shown as text, never interpreted; linkify is off, so only explicit
   links and ``<https://...>`` autolinks become links.
2. nh3 (ammonia) sanitises the HTML against an explicit allow-list, in case a future
   markdown-it rule or option ever lets something through:

   - tags: p, h2-h6, ul, ol, li, blockquote, code, pre, em, strong, del, a, img, table,
     thead, tbody, tr, th, td, hr, br. Nothing else (no script, style, iframe, svg, div).
   - attributes: a[href, title], img[src, alt, title]. No ``style``, no ``class``, no
     ``on*`` event handlers. Consequences: table column alignment (markdown-it writes it
     as ``style``) and fenced-code language classes are dropped.
   - URLs: links only ``http:``, ``https:`` and ``mailto:`` (relative links are dropped
     too, the text stays); images only ``http:``, ``https:`` or relative paths. Every
     other scheme (``javascript:``, ``vbscript:``, ``data:``...) is removed, including
     mixed-case, entity-encoded and whitespace-split spellings: nh3 decodes the attribute
     as a browser would before checking its scheme.
   - every link gets ``rel="noopener noreferrer nofollow"``.

Headings move down one level (``#`` renders as ``<h2>``, ``######`` stays ``<h6>``):
the page that shows a lesson or announcement owns the one ``<h1>`` (its title), and the
author's top-level headings sit under it, keeping the heading outline valid (WCAG 1.3.1).

Images: markdown-it always writes an ``alt`` attribute, empty for ``![](pic.png)``, which
marks the image as decorative for screen readers. Authors should describe meaningful
images in the brackets: ``![Diagram of the water cycle](water-cycle.png)``.

The output is meant to be marked safe in templates (``{{ html|safe }}``) only because it
comes from :func:`render_markdown`; store the Markdown and render on save or on read.
"""

from __future__ import annotations

import html
import re
from typing import Final
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# One parser for the process: building a MarkdownIt compiles its rule chains.
_MARKDOWN: Final = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)

_TAGS: Final = {
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "em",
    "strong",
    "del",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
}
_ATTRIBUTES: Final = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
# nh3 applies one scheme list to href and src; _restrict_urls narrows it per tag.
_URL_SCHEMES: Final = {"http", "https", "mailto"}
_LINK_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES: Final = frozenset({"http", "https", ""})  # "" is a relative path
_LINK_REL: Final = "noopener noreferrer nofollow"
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def render_markdown(text: str) -> str:
    """Markdown source -> sanitised HTML fragment (see the module docstring for the rules)."""
    # A lone surrogate (say, a JSON "\\ud800" escape) cannot be encoded for nh3;
    # CommonMark's rule for unusable characters applies: U+FFFD.
    tokens = _MARKDOWN.parse(_LONE_SURROGATE.sub("\ufffd", text))
    _adjust(tokens)
    raw = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return nh3.clean(
        raw,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=_restrict_urls,
        strip_comments=True,
        link_rel=_LINK_REL,
        url_schemes=_URL_SCHEMES,
    )


def markdown_plain_text(text: str) -> str:
    """The words a reader sees, for search indexing: tags stripped, entities decoded,
    whitespace collapsed to single spaces. Plain text, not HTML: escape it to display it."""
    stripped = nh3.clean(render_markdown(text), tags=set(), attributes={})
    return " ".join(html.unescape(stripped).split())


def _adjust(tokens: list[Token]) -> None:
    """Headings one level down (h1 -> h2, h6 stays h6); strikethrough as <del>, which
    says "removed" to assistive technology where markdown-it's <s> says "no longer
    relevant"."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, 6)
            token.tag = f"h{level}"
        elif token.children:
            for child in token.children:
                if child.type in ("s_open", "s_close"):
                    child.tag = "del"


def _restrict_urls(element: str, attribute: str, value: str) -> str | None:
    """nh3 has already removed disallowed schemes and decoded the value; narrow the
    shared list per tag: links need an absolute http(s)/mailto URL, images may not
    point at mailto: but may be relative."""
    if (element, attribute) == ("a", "href"):
        return value if _scheme(value) in _LINK_SCHEMES else None
    if (element, attribute) == ("img", "src"):
        return value if _scheme(value) in _IMAGE_SCHEMES else None
    return value


def _scheme(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return None
