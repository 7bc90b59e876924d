"""Checks of a question's answer key (``Question.config``) and points, per kind.

``clean_config(kind, config)`` returns the config in its one stored shape (ids given to
new options, strings trimmed, numbers as canonical decimal strings) or raises a
ValidationError whose messages a course author can act on. Unknown keys are dropped, so
what is stored is exactly what the graders read:

=============  =====================================================================
kind           stored config
=============  =====================================================================
single         {"options": [{"id", "text", "correct"}]}: 2..20 options, exactly one correct
multiple       {"options": [...], "partial_credit": "all_or_nothing" | "right_minus_wrong"
               | "proportional"}: 2..20 options, at least one correct
true_false     {"answer": true | false}
short_text     {"accepted": ["...", ...], "case_sensitive": bool, "whitespace":
               "normalize" | "exact"}: 1..20 distinct answers ("normalize" trims and
               collapses runs of spaces before comparing)
numeric        {"answer": "12.5", "tolerance": "0.1", "tolerance_kind": "absolute" |
               "percent"}: decimals as strings; tolerance >= 0
matching       {"pairs": [{"id", "prompt", "match"}]}: 2..20 pairs, prompts and matches
               distinct
ordering       {"items": [{"id", "text"}]} in the right order: 2..20 distinct items
essay          {"guidance": "..."} for graders (may be empty)
=============  =====================================================================

Ids are short random strings (``new_choice_id``); an id an author sends back is kept when
it is well formed and unique in the question, so editing a question keeps learners'
answers pointing at the same choice.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KINDS = (
    "single",
    "multiple",
    "true_false",
    "short_text",
    "numeric",
    "matching",
    "ordering",
    "essay",
)
PARTIAL_CREDIT = ("all_or_nothing", "right_minus_wrong", "proportional")
WHITESPACE = ("normalize", "exact")
TOLERANCE_KINDS = ("absolute", "percent")

MIN_CHOICES = 2
MAX_CHOICES = 20
MAX_CHOICE_TEXT = 500
MAX_ACCEPTED_TEXT = 200
MAX_GUIDANCE = 5000
POINTS_MIN = Decimal("0.01")
POINTS_MAX = Decimal("1000")
# Numeric answers: at most 15 significant digits before and 6 after the point, so any
# accepted value survives a round trip through JSON and the database unchanged.
NUMBER_MAX = Decimal("1e15")
NUMBER_PLACES = 6

_ID = re.compile(r"^[a-z0-9]{4,16}$")


def new_choice_id() -> str:
    """A short random id for an option, pair or item (8 lowercase hex characters)."""
    return secrets.token_hex(4)


def clean_points(value: Any) -> Decimal:
    """Points of a question: a decimal above zero and at most 1000, two places at most."""
    number = _decimal(value, "points", _("Give the points as a number, such as 1 or 2.5."))
    if number < POINTS_MIN:
        raise ValidationError({"points": _("A question is worth more than 0 points.")})
    if number > POINTS_MAX:
        raise ValidationError(
            {
                "points": _("A question is worth at most %(points_max)s points.")
                % {"points_max": POINTS_MAX}
            }
        )
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({"points": _("Use at most two decimal places for points.")})
    return number.quantize(Decimal("0.01"))


def clean_config(kind: str, config: Any) -> dict[str, Any]:
    """The stored form of ``config`` for a question of ``kind`` (see the module docstring),
    or ValidationError({"config": [...]}) listing every problem."""
    if kind not in KINDS:
        raise ValidationError(
            {"kind": _("Choose one of: %(items)s.") % {"items": ", ".join(KINDS)}}
        )
    if not isinstance(config, dict):
        raise ValidationError({"config": _("The answer settings must be an object.")})
    cleaner = _CLEANERS[kind]
    errors: list[str] = []
    cleaned = cleaner(config, errors)
    if errors:
        raise ValidationError({"config": errors})
    return cleaned


# --- Per kind ---------------------------------------------------------------------------------


def _choices(config: dict[str, Any], errors: list[str]) -> list[dict[str, Any]]:
    raw = config.get("options")
    if not isinstance(raw, list):
        errors.append(_("Add the answer options."))
        return []
    if len(raw) > MAX_CHOICES:
        errors.append(_("Keep to at most %(max_choices)s options.") % {"max_choices": MAX_CHOICES})
        return []
    options: list[dict[str, Any]] = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            errors.append(_("Option %(n)s must be an object with text and correct.") % {"n": n})
            continue
        text = _text(item.get("text"), _("Option %(n)s") % {"n": n}, MAX_CHOICE_TEXT, errors)
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            errors.append(_("Option %(n)s: correct must be true or false.") % {"n": n})
            correct = False
        options.append({"id": item.get("id"), "text": text, "correct": correct})
    _assign_ids(options, "option", errors)
    if len(options) < MIN_CHOICES:
        errors.append(_("Give at least %(min_choices)s options.") % {"min_choices": MIN_CHOICES})
    _distinct([o["text"] for o in options], _("Two options have the same text."), errors)
    return options


def _single(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    options = _choices(config, errors)
    correct = sum(1 for o in options if o["correct"])
    if options and correct != 1:
        errors.append(_("Mark exactly one option as correct."))
    return {"options": options}


def _multiple(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    options = _choices(config, errors)
    if options and not any(o["correct"] for o in options):
        errors.append(_("Mark at least one option as correct."))
    rule = config.get("partial_credit", "all_or_nothing")
    if rule not in PARTIAL_CREDIT:
        errors.append(
            _("Partial credit must be one of: %(items)s.") % {"items": ", ".join(PARTIAL_CREDIT)}
        )
    return {"options": options, "partial_credit": rule}


def _true_false(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    answer = config.get("answer")
    if not isinstance(answer, bool):
        errors.append(_("Say whether the statement is true or false."))
    return {"answer": answer}


def _short_text(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    raw = config.get("accepted")
    accepted: list[str] = []
    if not isinstance(raw, list) or not raw:
        errors.append(_("Give at least one accepted answer."))
    elif len(raw) > MAX_CHOICES:
        errors.append(
            _("Keep to at most %(max_choices)s accepted answers.") % {"max_choices": MAX_CHOICES}
        )
    else:
        for n, item in enumerate(raw, start=1):
            accepted.append(
                _text(item, _("Accepted answer %(n)s") % {"n": n}, MAX_ACCEPTED_TEXT, errors)
            )
    case_sensitive = config.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        errors.append(_("case_sensitive must be true or false."))
    whitespace = config.get("whitespace", "normalize")
    if whitespace not in WHITESPACE:
        errors.append(_("whitespace must be one of: %(items)s.") % {"items": ", ".join(WHITESPACE)})
    compare = [_normalise(a, case_sensitive is True, whitespace == "normalize") for a in accepted]
    _distinct(compare, _("Two accepted answers are the same under these rules."), errors)
    return {"accepted": accepted, "case_sensitive": case_sensitive, "whitespace": whitespace}


def _normalise(text: str, case_sensitive: bool, collapse: bool) -> str:
    if collapse:
        text = " ".join(text.split())
    return text if case_sensitive else text.casefold()


def _numeric(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    answer = tolerance = None
    try:
        answer = _number(config.get("answer"), _("The answer"))
    except ValueError as exc:
        errors.append(str(exc))
    try:
        tolerance = _number(config.get("tolerance", "0"), _("The tolerance"))
    except ValueError as exc:
        errors.append(str(exc))
    if tolerance is not None and tolerance < 0:
        errors.append(_("The tolerance cannot be negative."))
    kind = config.get("tolerance_kind", "absolute")
    if kind not in TOLERANCE_KINDS:
        errors.append(
            _("tolerance_kind must be one of: %(items)s.") % {"items": ", ".join(TOLERANCE_KINDS)}
        )
    if kind == "percent" and tolerance is not None and tolerance > 100:
        errors.append(_("A percent tolerance is at most 100."))
    return {
        "answer": _canonical(answer),
        "tolerance": _canonical(tolerance),
        "tolerance_kind": kind,
    }


def _matching(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    raw = config.get("pairs")
    pairs: list[dict[str, Any]] = []
    if not isinstance(raw, list):
        errors.append(_("Add the pairs to match."))
    elif len(raw) > MAX_CHOICES:
        errors.append(_("Keep to at most %(max_choices)s pairs.") % {"max_choices": MAX_CHOICES})
    else:
        for n, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                errors.append(_("Pair %(n)s must be an object with prompt and match.") % {"n": n})
                continue
            prompt = _text(
                item.get("prompt"), _("Pair %(n)s: the prompt") % {"n": n}, MAX_CHOICE_TEXT, errors
            )
            match = _text(
                item.get("match"), _("Pair %(n)s: the match") % {"n": n}, MAX_CHOICE_TEXT, errors
            )
            pairs.append({"id": item.get("id"), "prompt": prompt, "match": match})
        _assign_ids(pairs, "pair", errors)
        if len(pairs) < MIN_CHOICES:
            errors.append(_("Give at least %(min_choices)s pairs.") % {"min_choices": MIN_CHOICES})
        _distinct([p["prompt"] for p in pairs], _("Two prompts are the same."), errors)
        _distinct([p["match"] for p in pairs], _("Two matches are the same."), errors)
    return {"pairs": pairs}


def _ordering(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    raw = config.get("items")
    items: list[dict[str, Any]] = []
    if not isinstance(raw, list):
        errors.append(_("Add the items to put in order."))
    elif len(raw) > MAX_CHOICES:
        errors.append(_("Keep to at most %(max_choices)s items.") % {"max_choices": MAX_CHOICES})
    else:
        for n, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                errors.append(_("Item %(n)s must be an object with text.") % {"n": n})
                continue
            text = _text(item.get("text"), _("Item %(n)s") % {"n": n}, MAX_CHOICE_TEXT, errors)
            items.append({"id": item.get("id"), "text": text})
        _assign_ids(items, "item", errors)
        if len(items) < MIN_CHOICES:
            errors.append(_("Give at least %(min_choices)s items.") % {"min_choices": MIN_CHOICES})
        _distinct([i["text"] for i in items], _("Two items have the same text."), errors)
    return {"items": items}


def _essay(config: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    guidance = config.get("guidance", "")
    if guidance is None:
        guidance = ""
    if not isinstance(guidance, str):
        errors.append(_("The guidance for graders must be text."))
        guidance = ""
    elif len(guidance) > MAX_GUIDANCE:
        errors.append(
            _("Keep the guidance for graders under %(max_guidance)s characters.")
            % {"max_guidance": MAX_GUIDANCE}
        )
    return {"guidance": guidance.strip()}


_CLEANERS = {
    "single": _single,
    "multiple": _multiple,
    "true_false": _true_false,
    "short_text": _short_text,
    "numeric": _numeric,
    "matching": _matching,
    "ordering": _ordering,
    "essay": _essay,
}


# --- Helpers ---------------------------------------------------------------------------------


def _text(value: Any, what: str, limit: int, errors: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(_("%(what)s is empty.") % {"what": what})
        return ""
    text = value.strip()
    if len(text) > limit:
        errors.append(
            _("%(what)s is longer than %(limit)s characters.") % {"what": what, "limit": limit}
        )
    return text


def _assign_ids(rows: list[dict[str, Any]], what: str, errors: list[str]) -> None:
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        given = row.get("id")
        if given in (None, ""):
            continue
        if not isinstance(given, str) or not _ID.match(given):
            errors.append(
                _("The id of %(what)s %(n)s is not valid (4 to 16 letters a-z and digits).")
                % {"what": what, "n": n}
            )
        elif given in seen:
            errors.append(
                _("Two %(what)ss have the id %(given)s.") % {"what": what, "given": given}
            )
        seen.add(str(given))
    for row in rows:
        if row.get("id") in (None, ""):
            new = new_choice_id()
            while new in seen:
                new = new_choice_id()
            row["id"] = new
            seen.add(new)


def _distinct(values: list[str], message: str, errors: list[str]) -> None:
    present = [v for v in values if v]
    if len(set(present)) != len(present):
        errors.append(message)


def _decimal(value: Any, field: str, message: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValidationError({field: message})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: message}) from None
    if not number.is_finite():
        raise ValidationError({field: message})
    return number


def _number(value: Any, what: str) -> Decimal:
    """A decimal from a string or number; ValueError naming ``what`` otherwise."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        # Floats lose digits on the way in (0.1 is not 0.1): send decimals as strings.
        if isinstance(value, float) and value == value and abs(value) < float(NUMBER_MAX):
            value = repr(value)
        else:
            raise ValueError(
                _('%(what)s must be a number written as text, such as "12.5".') % {"what": what}
            )
    text = str(value).strip()
    if not text or len(text) > 40:
        raise ValueError(_("%(what)s must be a number, such as 12.5.") % {"what": what})
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("%(what)s must be a number, such as 12.5.") % {"what": what}) from None
    if not number.is_finite():
        raise ValueError(_("%(what)s must be a finite number.") % {"what": what})
    if abs(number) >= NUMBER_MAX:
        raise ValueError(_("%(what)s is too large.") % {"what": what})
    if number != number.quantize(Decimal(1).scaleb(-NUMBER_PLACES)):
        raise ValueError(
            _("%(what)s has more than %(number_places)s decimal places.")
            % {"what": what, "number_places": NUMBER_PLACES}
        )
    return number


def _canonical(number: Decimal | None) -> str | None:
    """A decimal as plain text without exponent or trailing zeros ("12.5", "3", "-0.25")."""
    if number is None:
        return None
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text
