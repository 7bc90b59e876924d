"""The translations Syllabus ships are complete: every string people read is marked, every
catalogue holds exactly the strings makemessages finds, every entry has its Spanish text with
the same placeholders, and the compiled .mo files match their .po files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.i18n_lint import findings

PACKAGE = Path(__file__).resolve().parent.parent / "syllabus"
APPS = sorted(path.parent for path in PACKAGE.glob("*/apps.py"))
SITE_TEMPLATES = PACKAGE / "templates"
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]
# What people read lives in templates and Python; the rest of an app's folder is not scanned.
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
DJANGO_ADMIN = str(Path(sys.executable).parent / "django-admin")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}|</?\w+")


def _roots() -> list[tuple[str, Path, Path]]:
    """(name, folder scanned, its locale folder): one per app, one for the site templates."""
    roots = [(app.name, app, app / "locale") for app in APPS]
    roots.append(("site-templates", SITE_TEMPLATES, PACKAGE / "locale"))
    return roots


ROOTS = _roots()


@pytest.mark.parametrize(
    "folder", [*APPS, SITE_TEMPLATES], ids=[*(app.name for app in APPS), "site-templates"]
)
def test_nothing_people_read_is_left_unmarked(folder):
    left = findings(folder)
    assert not left, (
        f"{len(left)} string(s) people read are not marked for translation "
        "(see tests/i18n_lint.py):\n" + "\n".join(map(str, left[:40]))
    )


def _catalogues() -> list[Path]:
    return sorted(
        po
        for _, _, locale in ROOTS
        for language in TRANSLATED
        for po in [locale / language / "LC_MESSAGES" / "django.po"]
        if po.exists()
    )


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("po_path", _catalogues(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_every_entry_is_translated_with_its_placeholders(po_path):
    catalogue = polib.pofile(str(po_path))
    problems: list[str] = []
    for entry in catalogue:
        if entry.obsolete:
            problems.append(f"obsolete entry left in: {entry.msgid!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy (needs review): {entry.msgid!r}")
        elif entry.msgid_plural:
            forms = entry.msgstr_plural
            if len(forms) < 2 or not all(forms.values()):
                problems.append(f"plural forms missing: {entry.msgid!r}")
            elif _placeholders(entry.msgid_plural) != _placeholders(forms[1]):
                problems.append(f"placeholders differ: {entry.msgid_plural!r} -> {forms[1]!r}")
        elif not entry.msgstr:
            problems.append(f"not translated: {entry.msgid!r}")
        elif _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            problems.append(f"placeholders differ: {entry.msgid!r} -> {entry.msgstr!r}")
    assert not problems, f"{po_path}:\n" + "\n".join(problems[:40])


# "3 item(s)" reads badly in English and cannot be said in Spanish at all (the article and
# the adjective agree with the number): counts go through ngettext, lists get plural forms.
BRACKETED_PLURAL = re.compile(r"\b(?!http\(s\))[A-Za-z]+\(s\)")


@pytest.mark.parametrize("po_path", _catalogues(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_bracketed_plurals(po_path):
    catalogue = polib.pofile(str(po_path))
    found = [
        entry.msgid
        for entry in catalogue
        if BRACKETED_PLURAL.search(entry.msgid) or BRACKETED_PLURAL.search(entry.msgid_plural)
    ]
    assert not found, f"{po_path}: use ngettext instead of '(s)':\n" + "\n".join(found)


def test_the_bracketed_plural_rule():
    assert BRACKETED_PLURAL.search("%(count)s item(s) are not reviewed yet.")
    assert not BRACKETED_PLURAL.search("An external http(s) address, instead of uploading a file.")
    assert not BRACKETED_PLURAL.search("%(count)s items are not reviewed yet.")


@pytest.mark.parametrize("po_path", _catalogues(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_the_compiled_catalogue_matches_its_source(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run django-admin compilemessages"
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.pofile(po_path)}
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(mo_path)}
    stale = {key for key in source if compiled.get(key) != source[key]}
    assert not stale, (
        f"{mo_path} is older than {po_path.name} ({len(stale)} entries differ): "
        "run django-admin compilemessages"
    )


def _extract(root: Path, workdir: Path) -> dict[tuple[str | None, str], bool]:
    """The entries makemessages finds in root's templates and Python, from a copy of them
    (so the repository's catalogues are never touched)."""
    copy = workdir / root.name
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.suffix in SOURCE_SUFFIXES and "locale" not in relative.parts:
            target = copy / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    (copy / "locale").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "syllabus.config.settings"}
    env.setdefault("SYLLABUS_DEBUG", "true")
    # django-admin, not `python -m django`: with -m the copied folder would come first on
    # sys.path and shadow the standard library (core has a logging.py).
    subprocess.run(
        [DJANGO_ADMIN, "makemessages", "-l", TRANSLATED[0], "--no-location"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    po = copy / "locale" / TRANSLATED[0] / "LC_MESSAGES" / "django.po"
    if not po.exists():
        return {}
    return {(e.msgctxt, e.msgid): True for e in polib.pofile(str(po))}


@pytest.mark.parametrize(("name", "root", "locale"), ROOTS, ids=[name for name, _, _ in ROOTS])
def test_each_catalogue_holds_exactly_the_marked_strings(name, root, locale, tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("SYLLABUS_REQUIRE_GETTEXT"):
            pytest.fail("SYLLABUS_REQUIRE_GETTEXT is set but xgettext is missing")
        pytest.skip("needs GNU gettext (apt-get install gettext)")
    found = _extract(root, tmp_path)
    for language in TRANSLATED:
        po_path = locale / language / "LC_MESSAGES" / "django.po"
        if found:
            assert po_path.exists(), f"{name} has marked strings but no {po_path}"
        shipped = set()
        if po_path.exists():
            shipped = {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path))}
        missing = sorted(set(found) - shipped, key=str)
        extra = sorted(shipped - set(found), key=str)
        assert not missing, (
            f"{po_path}: {len(missing)} marked string(s) not in the catalogue (run "
            f"makemessages -l {language} in {root} and translate them): {missing[:20]}"
        )
        assert not extra, f"{po_path}: {len(extra)} entries no longer used: {extra[:20]}"
