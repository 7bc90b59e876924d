"""Finds text a person would read that is not marked for translation.

Templates: the text between tags and the attributes people read (alt, title, placeholder,
aria-label, confirmation prompts) must sit inside {% translate %} or {% blocktranslate %}.
Python: a literal string given to Django's messages, to ValidationError, or as a form or
model field's label, help text or verbose name must go through gettext.

Written by hand: Django's makemessages only collects what is marked, and no maintained
tool reports what is not (django-rosetta and friends edit catalogues; they do not lint).

Run it on a folder to see what is left: ``python -m tests.i18n_lint syllabus/courses``.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.template.base import Lexer, TokenType

# Attributes whose value is read out or shown.
READ_ATTRIBUTES = (
    "alt",
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "data-confirm",
    "hx-confirm",
    "label",
)
LETTERS = re.compile(r"[^\W\d_]{2,}")
HOLE = "\x00"  # where a {{ variable }} or a {% tag %} stood
ATTRIBUTE = re.compile(
    r"\s(" + "|".join(map(re.escape, READ_ATTRIBUTES)) + r")\s*=\s*(\"[^\"]*\"|'[^']*')", re.I
)
SKIPPED_BLOCKS = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&[#\w]+;")

# Tags whose content is translated or is not text at all.
_OPENERS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
    "verbatim": "endverbatim",
}


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _flatten(source: str) -> tuple[str, list[int]]:
    """The template's text with every tag and variable replaced by HOLE, and translated or
    commented blocks removed; plus the source line of each character."""
    out: list[str] = []
    lines: list[int] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split(maxsplit=1)[0] if token.contents else ""
            if closing:
                if name == closing:
                    closing = None
                continue
            if name in _OPENERS:
                closing = _OPENERS[name]
            out.append(HOLE)
            lines.append(token.lineno)
        elif closing:
            continue
        elif token.token_type == TokenType.TEXT:
            line = token.lineno or 0
            for char in token.contents:
                out.append(char)
                lines.append(line)
                if char == "\n":
                    line += 1
        elif token.token_type == TokenType.VAR:
            out.append(HOLE)
            lines.append(token.lineno)
    return "".join(out), lines


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    # Same length, so positions still map to source lines.
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _has_words(text: str) -> bool:
    return bool(LETTERS.search(text.replace(HOLE, " ")))


def template_findings(path: Path) -> Iterator[Finding]:
    text, lines = _flatten(path.read_text(encoding="utf-8"))
    text = _blank(_blank(text, SKIPPED_BLOCKS), HTML_COMMENT)
    for match in ATTRIBUTE.finditer(text):
        value = match.group(2)[1:-1]
        if _has_words(value):
            yield Finding(path, lines[match.start()], f"{match.group(1)}={value.strip()}")
    if path.suffix == ".html":
        text = _blank(text, TAG)
    text = ENTITY.sub(lambda m: " " * len(m.group(0)), text)
    for match in re.finditer(r"[^\n\x00]+", text):
        chunk = match.group(0).strip()
        if _has_words(chunk) and not _is_block_value(text, match, chunk):
            yield Finding(path, lines[match.start()], chunk)


def _is_block_value(text: str, match: re.Match[str], chunk: str) -> bool:
    """A lower-case name alone between two tags, such as the CSS class in
    ``{% block body_class %}narrow-page{% endblock %}``: a value for code, not text."""
    before = text[match.start() - 1] if match.start() else ""
    after = text[match.end()] if match.end() < len(text) else ""
    return before == after == HOLE and re.fullmatch(r"[a-z0-9_-]+", chunk) is not None


# Python: calls and keywords whose literal strings people read.
_MESSAGE_FUNCTIONS = {"success", "error", "info", "warning", "debug", "add_message"}
_READ_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "message"}
_EXCEPTIONS = {"ValidationError", "PermissionDenied", "EnrolmentError", "ResponseError"}


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _has_words(node.value):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return ast.unparse(node)
    return None


def python_findings(path: Path) -> Iterator[Finding]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value if isinstance(func, ast.Attribute) else None
        candidates: list[ast.AST] = []
        if name in _MESSAGE_FUNCTIONS and isinstance(owner, ast.Name) and owner.id == "messages":
            candidates = node.args[1:3] if name != "add_message" else node.args[2:3]
        elif name in _EXCEPTIONS:
            candidates = node.args[:1]
        candidates += [kw.value for kw in node.keywords if kw.arg in _READ_KEYWORDS]
        for candidate in candidates:
            text = _literal(candidate)
            if text is not None:
                yield Finding(path, candidate.lineno, text)


def findings(root: Path) -> list[Finding]:
    """Everything unmarked under root (a folder or one file): templates (.html, .txt under
    templates/) and Python source (tests, migrations and this tool left out)."""
    paths = [root] if root.is_file() else sorted(root.rglob("*"))
    found: list[Finding] = []
    for path in paths:
        parts = set(path.parts)
        if "templates" in parts and path.suffix in {".html", ".txt"}:
            found += template_findings(path)
        elif path.suffix == ".py" and not parts & {"tests", "migrations", "management"}:
            found += python_findings(path)
    return found


def main(argv: list[str]) -> int:
    found = [finding for arg in argv or ["syllabus"] for finding in findings(Path(arg))]
    for finding in found:
        print(finding)  # noqa: T201
    print(f"{len(found)} unmarked string(s)", file=sys.stderr)  # noqa: T201
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
