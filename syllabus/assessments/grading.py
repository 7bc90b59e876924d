"""Grading a learner's answer against the snapshot of a question: pure functions, no
database.

A snapshot (``AttemptQuestion.snapshot``) is what ``services_attempts`` froze when the
attempt started::

    {"kind": "single", "title": ..., "text_html": ..., "points": "2.00",
     "options": [{"id", "text"}],           # single / multiple, in the order shown
     "prompts": [{"id", "text"}],           # matching: the left column, in the order shown
     "matches": [{"id", "text"}],           # matching: the right column, shuffled
     "items": [{"id", "text"}],             # ordering: shuffled as first shown
     "key": {...},                          # the question's config: answer key and rules
     "explanation_html": ...}

Only ``key`` holds the answers; pages and the API never show it to a learner before the
quiz's answers are visible.

Rules, by kind (``key`` is the question's ``config``):

- single: full points for the option marked ``correct``.
- multiple: ``partial_credit`` is ``all_or_nothing`` (the default: exactly the correct
  set), ``right_minus_wrong`` ((right chosen - wrong chosen) / correct options, never
  below 0) or ``proportional`` (options judged right, ticked or not, / all options).
  Ticking nothing is no answer and earns nothing under every rule.
- true_false: ``answer`` equals the value.
- short_text: any of ``accepted`` matches after the whitespace rule (``normalize``, the
  default: trim and collapse runs to one space; ``ignore``: remove all whitespace;
  ``exact``) and, unless ``case_sensitive``, case folding.
- numeric: ``|value - answer| <= tolerance`` (``tolerance_kind`` ``absolute``, the
  default) or ``<= |answer| * tolerance / 100`` (``percent``), in Decimal arithmetic.
- matching: each prompt answered with its own pair; ``partial_credit`` as for multiple
  choice, counted over the prompts (default ``proportional``).
- ordering: the order given equals the right one; ``partial_credit`` ``proportional``
  gives credit per item in its right place (default ``all_or_nothing``).
- essay: no automatic grade (``None``): a grader gives the points.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CENT = Decimal("0.01")
MAX_TEXT = 500  # short text answers
MAX_ESSAY = 20_000
MAX_NUMBER_CHARS = 40
# Answers beyond this size are refused: no real question needs them, and Decimal
# arithmetic on 10**100000 would be a denial of service.
MAX_ABS_NUMBER = Decimal("1e15")

PARTIAL_RULES = ("all_or_nothing", "right_minus_wrong", "proportional")
WHITESPACE_RULES = {"normalize": "normalize", "normalise": "normalize", "ignore": "ignore"}
_SPACES = re.compile(r"\s+")


class ResponseError(ValidationError):
    """An answer that does not fit its question: a 422 for the caller, nothing saved."""


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _ids(entries: Any) -> list[str]:
    return [
        str(entry["id"]) for entry in entries or () if isinstance(entry, dict) and "id" in entry
    ]


def _only_keys(response: dict[str, Any], *allowed: str) -> None:
    extra = set(response) - set(allowed)
    if extra or set(allowed) - set(response):
        raise ResponseError(
            ngettext(
                "The answer must have exactly one field: %(items)s.",
                "The answer must have exactly these fields: %(items)s.",
                len(allowed),
            )
            % {"items": ", ".join(allowed)}
        )


# --- Validation ------------------------------------------------------------------------


def parse_number(value: Any) -> Decimal:
    """A numeric answer as Decimal: a string (or a JSON number) of at most 40 characters,
    finite, and at most 10**15 in size."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ResponseError(_('A numeric answer is a number written as text, like "12.5".'))
    text = value.strip() if isinstance(value, str) else repr(value)
    if "," in text or "_" in text:
        raise ResponseError(
            _("Write the number with a point for decimals and no separators, like 1234.5.")
        )
    if not text or len(text) > MAX_NUMBER_CHARS:
        raise ResponseError(
            _("Write a number of at most %(max_number_chars)s characters.")
            % {"max_number_chars": MAX_NUMBER_CHARS}
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ResponseError(_("%(value)r is not a number.") % {"value": text[:40]}) from None
    if not number.is_finite():
        raise ResponseError(_("The answer must be a finite number."))
    if abs(number) > MAX_ABS_NUMBER:
        raise ResponseError(_("The answer is too large."))
    return number


def validate_response(snapshot: dict[str, Any], response: Any) -> dict[str, Any] | None:
    """Check an answer's shape against the question; return it normalised (or None when
    the learner cleared it). Raises ``ResponseError`` with a sentence for the learner."""
    if response is None:
        return None
    if not isinstance(response, dict):
        raise ResponseError(_("The answer must be a JSON object."))
    kind = snapshot.get("kind")
    if kind == "single":
        _only_keys(response, "option")
        option = response["option"]
        if not isinstance(option, str) or option not in _ids(snapshot.get("options")):
            raise ResponseError(_("Choose one of the question's options."))
        return {"option": option}
    if kind == "multiple":
        _only_keys(response, "options")
        chosen = response["options"]
        known = _ids(snapshot.get("options"))
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            raise ResponseError(_("The options must be a list of option ids."))
        if len(set(chosen)) != len(chosen) or not set(chosen) <= set(known):
            raise ResponseError(_("Choose among the question's options, each at most once."))
        return {"options": [option for option in known if option in chosen]}
    if kind == "true_false":
        _only_keys(response, "value")
        if not isinstance(response["value"], bool):
            raise ResponseError(_("The answer is true or false."))
        return {"value": response["value"]}
    if kind in ("short_text", "essay"):
        _only_keys(response, "text")
        text = response["text"]
        limit = MAX_TEXT if kind == "short_text" else MAX_ESSAY
        if not isinstance(text, str):
            raise ResponseError(_("The answer must be text."))
        if len(text) > limit:
            raise ResponseError(_("Write at most %(limit)s characters.") % {"limit": limit})
        return {"text": text}
    if kind == "numeric":
        _only_keys(response, "value")
        value = response["value"]
        parse_number(value)
        return {"value": value.strip() if isinstance(value, str) else str(value)}
    if kind == "matching":
        _only_keys(response, "pairs")
        pairs = response["pairs"]
        prompts = set(_ids(snapshot.get("prompts")))
        targets = set(_ids(snapshot.get("matches")))
        if not isinstance(pairs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in pairs.items()
        ):
            raise ResponseError(_("Matches must map prompt ids to match ids."))
        if not set(pairs) <= prompts or not set(pairs.values()) <= targets:
            raise ResponseError(_("Match the question's prompts with its choices."))
        return {"pairs": dict(pairs)}
    if kind == "ordering":
        _only_keys(response, "order")
        order = response["order"]
        known_items = _ids(snapshot.get("items"))
        if (
            not isinstance(order, list)
            or not all(isinstance(i, str) for i in order)
            or sorted(order) != sorted(known_items)
        ):
            raise ResponseError(_("Put every item in the list exactly once."))
        return {"order": list(order)}
    raise ResponseError(_("This question cannot be answered."))


# --- Grading ---------------------------------------------------------------------------


def normalise_text(
    text: str, *, whitespace: str = "normalize", case_sensitive: bool = False
) -> str:
    """The short-text comparison form of ``text`` under the question's rules."""
    text = unicodedata.normalize("NFC", text)
    rule = WHITESPACE_RULES.get(str(whitespace).lower(), "exact")
    if rule == "normalize":
        text = _SPACES.sub(" ", text).strip()
    elif rule == "ignore":
        text = _SPACES.sub("", text)
    return text if case_sensitive else text.casefold()


def _partial(rule: str, right: int, wrong: int, total: int, all_right: bool) -> Decimal:
    """The share of the points (0..1) under a partial-credit rule."""
    if total <= 0:
        return Decimal(0)
    if rule == "right_minus_wrong":
        return max(Decimal(0), Decimal(right - wrong) / Decimal(total))
    if rule == "proportional":
        return Decimal(right) / Decimal(total)
    return Decimal(1) if all_right else Decimal(0)


def _share(snapshot: dict[str, Any], response: dict[str, Any]) -> Decimal:
    """The share of the points (0..1) the answer earns; raises KeyError/TypeError/ValueError
    on a malformed key (the caller treats that as no credit)."""
    kind = snapshot["kind"]
    key = snapshot.get("key") or {}
    if kind == "single":
        correct = {str(o["id"]) for o in key.get("options", ()) if o.get("correct")}
        return Decimal(1) if response.get("option") in correct else Decimal(0)
    if kind == "multiple":
        options = [str(o["id"]) for o in key.get("options", ())]
        correct = {str(o["id"]) for o in key.get("options", ()) if o.get("correct")}
        chosen = set(response.get("options") or ()) & set(options)
        if not chosen:
            return Decimal(0)  # nothing ticked is no answer, whatever the rule
        rule = key.get("partial_credit") or "all_or_nothing"
        if rule == "proportional":
            judged_right = sum(1 for o in options if (o in chosen) == (o in correct))
            return Decimal(judged_right) / Decimal(len(options)) if options else Decimal(0)
        right = len(chosen & correct)
        wrong = len(chosen - correct)
        return _partial(rule, right, wrong, len(correct), chosen == correct)
    if kind == "true_false":
        return Decimal(1) if response.get("value") is bool(key.get("answer")) else Decimal(0)
    if kind == "short_text":
        whitespace = key.get("whitespace", "normalize")
        case_sensitive = bool(key.get("case_sensitive", False))
        given = normalise_text(
            str(response.get("text", "")), whitespace=whitespace, case_sensitive=case_sensitive
        )
        accepted = {
            normalise_text(str(a), whitespace=whitespace, case_sensitive=case_sensitive)
            for a in key.get("accepted", ())
        }
        return Decimal(1) if given and given in accepted else Decimal(0)
    if kind == "numeric":
        try:
            value = parse_number(response.get("value"))
        except ResponseError:
            return Decimal(0)
        answer = Decimal(str(key["answer"]))
        tolerance = abs(Decimal(str(key.get("tolerance") or 0)))
        if key.get("tolerance_kind") == "percent":
            tolerance = abs(answer) * tolerance / Decimal(100)
        return Decimal(1) if abs(value - answer) <= tolerance else Decimal(0)
    if kind == "matching":
        pair_ids = [str(p["id"]) for p in key.get("pairs", ())]
        matched: dict[str, Any] = response.get("pairs") or {}
        right = sum(1 for p in pair_ids if matched.get(p) == p)
        wrong = sum(1 for p in pair_ids if p in matched and matched.get(p) != p)
        rule = key.get("partial_credit") or "proportional"
        return _partial(rule, right, wrong, len(pair_ids), right == len(pair_ids))
    if kind == "ordering":
        items = [str(i["id"]) for i in key.get("items", ())]
        order = list(response.get("order") or ())
        right = sum(1 for a, b in zip(items, order, strict=False) if a == b)
        rule = key.get("partial_credit") or "all_or_nothing"
        if rule == "right_minus_wrong":
            rule = "proportional"  # every misplaced item is already not right
        return _partial(rule, right, 0, len(items), order == items)
    raise ValueError(_("No automatic grading for %(kind)r.") % {"kind": kind})


def is_auto_graded(snapshot: dict[str, Any]) -> bool:
    return snapshot.get("kind") != "essay"


def grade_response(
    snapshot: dict[str, Any], response: dict[str, Any] | None, points: Decimal
) -> Decimal | None:
    """Points the answer earns (0..points, to the cent), or None for an essay (a grader
    decides). No answer earns 0. A key the answer no longer fits (a regrade removed an
    option) earns no credit for that part rather than failing."""
    if not is_auto_graded(snapshot):
        return None
    if not response:
        return Decimal("0.00")
    try:
        share = _share(snapshot, response)
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError):
        share = Decimal(0)
    share = min(max(share, Decimal(0)), Decimal(1))
    return quantize(Decimal(points) * share)


def correct_response(snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """The right answer in the response format, for showing learners once answers are
    visible (None for an essay). For short text and numeric questions the first accepted
    answer / the answer with its tolerance."""
    kind = snapshot.get("kind")
    key = snapshot.get("key") or {}
    if kind == "single":
        right = [str(o["id"]) for o in key.get("options", ()) if o.get("correct")]
        return {"option": right[0] if right else None}
    if kind == "multiple":
        return {"options": [str(o["id"]) for o in key.get("options", ()) if o.get("correct")]}
    if kind == "true_false":
        return {"value": bool(key.get("answer"))}
    if kind == "short_text":
        return {"text": ", ".join(str(a) for a in key.get("accepted", ()))}
    if kind == "numeric":
        return {
            "value": str(key.get("answer")),
            "tolerance": str(key.get("tolerance") or 0),
            "tolerance_kind": key.get("tolerance_kind") or "absolute",
        }
    if kind == "matching":
        return {"pairs": {str(p["id"]): str(p["id"]) for p in key.get("pairs", ())}}
    if kind == "ordering":
        return {"order": [str(i["id"]) for i in key.get("items", ())]}
    return None
