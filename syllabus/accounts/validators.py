"""The seed's password rules: a minimum length and a mix of character kinds.

Django ships a length validator but nothing for character kinds, so both rules live in
one validator here: it names exactly which rule failed, and its help text (shown next to
every new-password field) lists the rules as configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class CharacterKind:
    name: str  # plural, as shown to people: "uppercase letters"
    code: str

    def present_in(self, password: str) -> bool:
        return any(_kind_of(char) == self.code for char in password)


LOWER = CharacterKind("lowercase letters", "lower")
UPPER = CharacterKind("uppercase letters", "upper")
DIGIT = CharacterKind("digits", "digit")
SYMBOL = CharacterKind("symbols (anything else, such as - ! or a space)", "symbol")
KINDS = (LOWER, UPPER, DIGIT, SYMBOL)


def _kind_of(char: str) -> str:
    # Letters without case (CJK, Arabic ...) count as lowercase: they are letters, and a
    # password in such a script must still be able to meet the rule with digits and symbols.
    if char.isdigit():
        return DIGIT.code
    if char.isalpha():
        return UPPER.code if char.isupper() else LOWER.code
    return SYMBOL.code


def kinds_used(password: str) -> list[CharacterKind]:
    return [kind for kind in KINDS if kind.present_in(password)]


class ComplexityValidator:
    """At least ``min_length`` characters and at least ``min_classes`` of the four kinds."""

    def __init__(self, min_length: int = 12, min_classes: int = 3) -> None:
        if min_length < 1:
            raise ImproperlyConfigured("The minimum password length must be at least 1.")
        if not 1 <= min_classes <= len(KINDS):
            raise ImproperlyConfigured(
                f"The number of character kinds must be between 1 and {len(KINDS)}."
            )
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        errors: list[ValidationError] = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    _(
                        "This password is too short: it has %(length)d characters and must have "
                        "at least %(min_length)d."
                    ),
                    code="password_too_short",
                    params={"length": len(password), "min_length": self.min_length},
                )
            )
        used = kinds_used(password)
        if len(used) < self.min_classes:
            missing = [kind.name.split(" (")[0] for kind in KINDS if kind not in used]
            errors.append(
                ValidationError(
                    _(
                        "This password mixes too few kinds of characters: it uses %(used)d of "
                        "lowercase letters, uppercase letters, digits and symbols, and must use "
                        "at least %(min_classes)d. Add %(missing)s."
                    ),
                    code="password_too_simple",
                    params={
                        "used": len(used),
                        "min_classes": self.min_classes,
                        "missing": " or ".join(missing),
                    },
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        kinds = ", ".join(kind.name for kind in KINDS[:-1]) + " and " + KINDS[-1].name
        if self.min_classes == len(KINDS):
            mix = f"all four kinds of characters: {kinds}"
        else:
            mix = f"at least {self.min_classes} of these {len(KINDS)} kinds: {kinds}"
        return f"Your password must have at least {self.min_length} characters and use {mix}."
