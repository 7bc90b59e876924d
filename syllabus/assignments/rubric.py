"""Rubrics: checking one (from the API's JSON or the authoring page's text), writing it
as text, and scoring a submission with it.

The authoring page edits a rubric as plain text, one criterion per line followed by its
levels, each level on a line starting with ``-``::

    Argument: Is the thesis clear and supported?
    - 10: Clear and well supported
    - 5: Clear but thin
    - 0: Missing

A criterion's description (after the first ``:``) is optional. Points are numbers with at
most two decimals. Ids are kept for criteria and levels whose titles did not change, so
a grader's open form still points at the right levels after an edit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from syllabus.core.models import new_public_id

MAX_CRITERIA: Final = 20
MAX_LEVELS: Final = 10
TITLE_MAX: Final = 200
DESCRIPTION_MAX: Final = 1000
POINTS_MAX: Final = Decimal("100000")
_LEVEL: Final = re.compile(r"^-\s*([^:]*?)\s*:\s*(.*)$")


def _points(raw: Any, where: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(where)s: points must be a number such as 5 or 2.5.") % {"where": where}
        ) from None
    if not value.is_finite() or value < 0 or value > POINTS_MAX:
        raise ValidationError(
            _("%(where)s: points must be between 0 and %(max)s.")
            % {"where": where, "max": POINTS_MAX}
        )
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(_("%(where)s: points have at most two decimals.") % {"where": where})
    return value.quantize(Decimal("0.01"))


def _text(raw: Any, where: str, *, required: bool, limit: int) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ValidationError(_("%(where)s must be text.") % {"where": where})
    value = " ".join(raw.split())
    if required and not value:
        raise ValidationError(_("%(where)s needs a title.") % {"where": where})
    if len(value) > limit:
        raise ValidationError(
            _("%(where)s is longer than %(max)s characters.") % {"where": where, "max": limit}
        )
    return value


def clean_rubric(
    criteria: Sequence[Mapping[str, Any]], previous: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """A checked, normalised rubric from ``[{title, description?, levels: [{title,
    points}]}]``; ids of ``previous`` are kept where titles match. Raises ValidationError."""
    if not isinstance(criteria, Sequence) or isinstance(criteria, str):
        raise ValidationError(_("A rubric is a list of criteria."))
    if len(criteria) > MAX_CRITERIA:
        raise ValidationError(_("A rubric has at most %(max)s criteria.") % {"max": MAX_CRITERIA})
    old = {c.get("title"): c for c in previous if isinstance(c, Mapping)}
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, criterion in enumerate(criteria, start=1):
        where = _("Criterion %(number)s") % {"number": number}
        if not isinstance(criterion, Mapping):
            raise ValidationError(
                _("%(where)s must be an object with a title and levels.") % {"where": where}
            )
        title = _text(criterion.get("title"), where, required=True, limit=TITLE_MAX)
        if title.casefold() in seen:
            raise ValidationError(
                _("%(where)s: two criteria are called “%(title)s”.")
                % {"where": where, "title": title}
            )
        seen.add(title.casefold())
        description = _text(
            criterion.get("description"),
            _("%(where)s's description") % {"where": where},
            required=False,
            limit=DESCRIPTION_MAX,
        )
        levels = criterion.get("levels")
        if not isinstance(levels, Sequence) or isinstance(levels, str) or not levels:
            raise ValidationError(
                _("%(where)s (“%(title)s”) needs at least one level.")
                % {"where": where, "title": title}
            )
        if len(levels) > MAX_LEVELS:
            raise ValidationError(
                _("%(where)s (“%(title)s”) has more than %(max)s levels.")
                % {"where": where, "title": title, "max": MAX_LEVELS}
            )
        before = old.get(title)
        old_levels = {
            (lv.get("title"), lv.get("points")): lv for lv in (before or {}).get("levels", [])
        }
        clean_levels = []
        for index, level in enumerate(levels, start=1):
            at = _("%(where)s (“%(title)s”), level %(index)s") % {
                "where": where,
                "title": title,
                "index": index,
            }
            if not isinstance(level, Mapping):
                raise ValidationError(
                    _("%(where)s must be an object with a title and points.") % {"where": at}
                )
            level_title = _text(level.get("title"), at, required=True, limit=TITLE_MAX)
            points = _points(level.get("points"), at)
            kept = old_levels.get((level_title, str(points)))
            clean_levels.append(
                {
                    "id": kept["id"] if kept else new_public_id("lvl", 8),
                    "title": level_title,
                    "points": str(points),
                }
            )
        cleaned.append(
            {
                "id": before["id"] if before else new_public_id("crt", 8),
                "title": title,
                "description": description,
                "levels": clean_levels,
            }
        )
    return cleaned


def parse_rubric_text(
    text: str, previous: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The authoring page's text format (see the module docstring) as a checked rubric."""
    criteria: list[dict[str, Any]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("-"):
            match = _LEVEL.match(line)
            if not criteria:
                raise ValidationError(
                    _("Line %(number)s: a level must follow its criterion's line.")
                    % {"number": number}
                )
            if match is None:
                raise ValidationError(
                    _(
                        "Line %(number)s: write a level as “- points: title”, "
                        "for example “- 5: Good”."
                    )
                    % {"number": number}
                )
            points = match.group(1)
            _points(points, _("Line %(number)s") % {"number": number})
            criteria[-1]["levels"].append({"title": match.group(2), "points": points})
        else:
            title, _colon, description = line.partition(":")
            criteria.append({"title": title, "description": description, "levels": []})
    return clean_rubric(criteria, previous)


def rubric_as_text(rubric: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for criterion in rubric:
        head = criterion["title"]
        if criterion.get("description"):
            head += f": {criterion['description']}"
        lines.append(head)
        lines += [f"- {_plain(level['points'])}: {level['title']}" for level in criterion["levels"]]
        lines.append("")
    return "\n".join(lines).strip()


def rubric_total(rubric: Sequence[Mapping[str, Any]]) -> Decimal:
    """The most a rubric gives: the best level of each criterion, added up."""
    return sum(
        (max(Decimal(level["points"]) for level in c["levels"]) for c in rubric), Decimal("0")
    )


def score(
    rubric: Sequence[Mapping[str, Any]], picks: Mapping[str, str]
) -> tuple[Decimal, list[dict[str, Any]]]:
    """Points for one level per criterion (``{criterion id: level id}``) and the snapshot
    a submission keeps. Every criterion needs a pick; unknown ids are refused."""
    known = {c["id"] for c in rubric}
    unknown = set(picks) - known
    if unknown:
        raise ValidationError(_("The rubric has changed: reload the page and grade again."))
    total = Decimal("0")
    snapshot = []
    for criterion in rubric:
        level_id = picks.get(criterion["id"])
        if not level_id:
            raise ValidationError(
                {"rubric": _("Choose a level for “%(title)s”.") % {"title": criterion["title"]}}
            )
        level = next((lv for lv in criterion["levels"] if lv["id"] == level_id), None)
        if level is None:
            raise ValidationError(_("The rubric has changed: reload the page and grade again."))
        points = Decimal(level["points"])
        total += points
        snapshot.append(
            {
                "criterion_id": criterion["id"],
                "criterion": criterion["title"],
                "level_id": level["id"],
                "level": level["title"],
                "points": str(points),
                "max_points": str(max(Decimal(lv["points"]) for lv in criterion["levels"])),
            }
        )
    return total, snapshot


def _plain(points: str) -> str:
    value = Decimal(points)
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
