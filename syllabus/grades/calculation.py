"""How a course grade is computed: pure functions, no database.

* An item's score counts when the item ``counts`` and the learner has a grade on it
  (the override when there is one). Missing grades are left out until graded: they
  neither count as zero nor as full marks.
* A group is a category, or "Uncategorised" (the items without one). Its percent is
  points earned over points possible on its counted, graded items.
* The course percent is the weighted mean of the percents of the groups that have at
  least one counted, graded item. Uncategorised weighs ``uncategorised_weight`` when the
  course sets one, else an equal share: the mean weight of the categories taking part (so
  with equal category weights every group weighs the same; alone, it is the whole grade).
  When every taking-part group weighs 0, the groups count equally.
* Arithmetic is exact (fractions of the Decimal inputs); the result is rounded once, half
  up, to two decimals. The letter comes from the rounded percent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

UNCATEGORISED = None  # the group key of items without a category
TWO_PLACES = Decimal("0.01")
DEFAULT_SCALE: tuple[tuple[str, Decimal], ...] = (
    ("A", Decimal("90")),
    ("B", Decimal("80")),
    ("C", Decimal("70")),
    ("D", Decimal("60")),
    ("F", Decimal("0")),
)
MAX_LETTERS = 20
MAX_LETTER_LENGTH = 5


@dataclass(frozen=True)
class Score:
    """One learner's standing on one item."""

    category_id: int | None
    max_points: Decimal
    points: Decimal | None  # None: not graded yet
    counts: bool = True


@dataclass(frozen=True)
class GroupResult:
    key: int | None
    percent: Decimal | None  # None: nothing graded yet in the group
    weight: Decimal  # the weight used (Uncategorised's resolved share included)
    earned: Decimal
    possible: Decimal


@dataclass(frozen=True)
class CourseResult:
    percent: Decimal | None
    letter: str
    groups: dict[int | None, GroupResult]


def round_percent(ratio: Fraction) -> Decimal:
    """A ratio (0.875) as a percent rounded half up to two decimals (87.50), exactly: no
    binary or context rounding on the way."""
    scaled = ratio * 10000  # hundredths of a percent
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    if remainder * 2 >= scaled.denominator:
        whole += 1
    return Decimal(whole).scaleb(-2)


def course_result(
    scores: Iterable[Score],
    *,
    weights: dict[int, Decimal],
    uncategorised_weight: Decimal | None = None,
    scale: Sequence[tuple[str, Decimal]] = DEFAULT_SCALE,
) -> CourseResult:
    """The course percent, letter and per-group percents for one learner.

    ``weights`` maps category ids to their weights; a score whose category is not in it
    (deleted meanwhile) counts as uncategorised."""
    earned: dict[int | None, Fraction] = {}
    possible: dict[int | None, Fraction] = {}
    for score in scores:
        key = score.category_id if score.category_id in weights else UNCATEGORISED
        earned.setdefault(key, Fraction(0))
        possible.setdefault(key, Fraction(0))
        if not score.counts or score.points is None:
            continue
        earned[key] += Fraction(score.points)
        possible[key] += Fraction(score.max_points)
    taking_part = [key for key in possible if possible[key] > 0]
    resolved: dict[int | None, Fraction] = {
        key: Fraction(weights[key]) for key in possible if key is not UNCATEGORISED
    }
    if UNCATEGORISED in possible:
        if uncategorised_weight is not None:
            resolved[UNCATEGORISED] = Fraction(uncategorised_weight)
        else:
            others = [resolved[k] for k in taking_part if k is not UNCATEGORISED]
            resolved[UNCATEGORISED] = (
                sum(others, Fraction(0)) / len(others) if others else Fraction(1)
            )
    total_weight = sum((resolved[k] for k in taking_part), Fraction(0))
    percent: Fraction | None = None
    if taking_part:
        group_percent = {k: earned[k] / possible[k] for k in taking_part}
        if total_weight > 0:
            percent = sum((resolved[k] * group_percent[k] for k in taking_part), Fraction(0))
            percent /= total_weight
        else:
            percent = sum(group_percent.values(), Fraction(0)) / len(taking_part)
    groups = {
        key: GroupResult(
            key=key,
            percent=round_percent(earned[key] / possible[key]) if possible[key] > 0 else None,
            weight=_decimal(resolved[key]),
            earned=_decimal(earned[key]),
            possible=_decimal(possible[key]),
        )
        for key in possible
    }
    rounded = None if percent is None else round_percent(percent)
    return CourseResult(
        percent=rounded,
        letter="" if rounded is None else letter_for(rounded, scale),
        groups=groups,
    )


def _decimal(value: Fraction) -> Decimal:
    """For display only (weights and points are two-decimal inputs, or an exact mean)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        TWO_PLACES, rounding=ROUND_HALF_UP
    )


def letter_for(percent: Decimal, scale: Sequence[tuple[str, Decimal]]) -> str:
    """The first letter (highest threshold first) whose threshold the percent reaches."""
    for letter, threshold in scale:
        if percent >= threshold:
            return letter
    return scale[-1][0] if scale else ""


def validate_scale(raw: Iterable[tuple[str, object]]) -> list[tuple[str, Decimal]]:
    """A letter scale as given by people: letters with their lowest percent. Returns it
    sorted highest first, or raises ValueError with what is wrong: letters 1 to 5
    characters and unique, thresholds numbers from 0 to 100, unique, the lowest at 0."""
    scale: list[tuple[str, Decimal]] = []
    for letter, threshold in raw:
        letter = str(letter).strip()
        if not letter or len(letter) > MAX_LETTER_LENGTH:
            raise ValueError(
                _("Each letter needs 1 to %(max)s characters.") % {"max": MAX_LETTER_LENGTH}
            )
        try:
            value = Decimal(str(threshold).strip())
        except ArithmeticError:
            raise ValueError(
                _("The threshold of %(letter)s is not a number.") % {"letter": letter}
            ) from None
        if not value.is_finite() or value < 0 or value > 100:
            raise ValueError(
                _("The threshold of %(letter)s must be between 0 and 100.") % {"letter": letter}
            )
        if value != value.quantize(TWO_PLACES):
            raise ValueError(
                _("The threshold of %(letter)s has more than two decimals.") % {"letter": letter}
            )
        scale.append((letter, value.quantize(TWO_PLACES)))
    if not scale:
        raise ValueError(_("The scale needs at least one letter (at 0 %)."))
    if len(scale) > MAX_LETTERS:
        raise ValueError(_("A scale has at most %(max)s letters.") % {"max": MAX_LETTERS})
    letters = [letter.casefold() for letter, _value in scale]
    if len(set(letters)) != len(letters):
        raise ValueError(_("Each letter may appear only once."))
    thresholds = [value for _letter, value in scale]
    if len(set(thresholds)) != len(thresholds):
        raise ValueError(_("Two letters cannot start at the same percent."))
    scale.sort(key=lambda pair: pair[1], reverse=True)
    if scale[-1][1] != 0:
        # xgettext:no-python-format
        raise ValueError(_("The lowest letter must start at 0 % so every grade gets a letter."))
    return scale
