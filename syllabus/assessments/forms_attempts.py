"""Reading answers from the attempt page's form (HTML input only; the services validate).

Field names, for the question at ``position`` p:

- ``a<p>``: the option id (single), option ids (multiple, repeated), ``true``/``false``,
  or the text (short text, numeric, essay);
- ``a<p>-<prompt id>``: the chosen match for a matching prompt;
- ``a<p>-<item id>``: the place (1, 2, ...) given to an ordering item.

An empty field means "no answer": the saved answer is cleared.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from syllabus.assessments.grading import ResponseError


class Incomplete(ResponseError):
    """An answer the learner is still giving (an ordering with places missing or given
    twice): nothing is saved yet, and the page says what is missing."""

    refusal_code = "incomplete"


def field_name(position: int, sub: str = "") -> str:
    return f"a{position}-{sub}" if sub else f"a{position}"


def response_from_post(snapshot: dict[str, Any], data: QueryDict, position: int) -> Any:
    """The answer to question ``position`` in the service's format, or None when blank.
    Raises ``ResponseError`` for input no form of ours sends (the service checks ids)."""
    kind = snapshot.get("kind")
    name = field_name(position)
    if kind == "multiple":
        chosen = [v for v in data.getlist(name) if v]
        return {"options": chosen} if chosen else None
    if kind == "matching":
        pairs = {}
        for prompt in snapshot.get("prompts", ()):
            value = data.get(field_name(position, prompt["id"]), "")
            if value:
                pairs[prompt["id"]] = value
        return {"pairs": pairs} if pairs else None
    if kind == "ordering":
        places: dict[str, int] = {}
        for item in snapshot.get("items", ()):
            raw = data.get(field_name(position, item["id"]), "").strip()
            if not raw:
                continue
            try:
                places[item["id"]] = int(raw)
            except ValueError:
                raise ResponseError(_("Choose a place for each item.")) from None
        if not places:
            return None
        count = len(snapshot.get("items", ()))
        if len(places) < count or len(set(places.values())) != len(places):
            raise Incomplete(
                _("Give each item a different place, from 1 to %(count)s.") % {"count": count}
            )
        return {"order": sorted(places, key=lambda item_id: places[item_id])}
    value = data.get(name, "")
    if kind in ("short_text", "numeric"):
        value = value.strip()
    if not value.strip():
        return None
    if kind == "single":
        return {"option": value}
    if kind == "true_false":
        if value not in ("true", "false"):
            raise ResponseError(_("The answer is true or false."))
        return {"value": value == "true"}
    if kind == "numeric":
        return {"value": value}
    return {"text": value}
