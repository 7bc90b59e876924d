"""The arithmetic of the course grade: weighted categories, missing grades, the
uncategorised group, rounding and letters; properties checked with hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.grades.calculation import (
    DEFAULT_SCALE,
    Score,
    course_result,
    letter_for,
    validate_scale,
)

D = Decimal


def test_worked_example_from_the_docs():
    """docs/grades.md: Quizzes 40 (18/20 and 7/10), Project 60 (45/50), a manual item
    without category (8/10), one quiz not graded yet."""
    scores = [
        Score(category_id=1, max_points=D("20"), points=D("18")),
        Score(category_id=1, max_points=D("10"), points=D("7")),
        Score(category_id=1, max_points=D("10"), points=None),
        Score(category_id=2, max_points=D("50"), points=D("45")),
        Score(category_id=None, max_points=D("10"), points=D("8")),
    ]
    result = course_result(scores, weights={1: D("40"), 2: D("60")})
    # Quizzes 25/30 = 83.33 %, Project 90 %, Uncategorised 80 % weighing (40+60)/2 = 50:
    # (40 * 25/30 + 60 * 0.9 + 50 * 0.8) / 150 = 84.888... -> 84.89
    assert result.groups[1].percent == D("83.33")
    assert result.groups[2].percent == D("90.00")
    assert result.groups[None].weight == D("50.00")
    assert result.percent == D("84.89")
    assert result.letter == "B"


def test_uncategorised_weight_setting_replaces_the_equal_share():
    scores = [
        Score(category_id=1, max_points=D("10"), points=D("10")),
        Score(category_id=None, max_points=D("10"), points=D("0")),
    ]
    assert course_result(scores, weights={1: D("30")}).percent == D("50.00")
    assert course_result(scores, weights={1: D("30")}, uncategorised_weight=D("10")).percent == D(
        "75.00"
    )
    assert course_result(scores, weights={1: D("30")}, uncategorised_weight=D("0")).percent == D(
        "100.00"
    )


def test_missing_grades_and_items_that_do_not_count_are_left_out():
    scores = [
        Score(category_id=1, max_points=D("10"), points=D("5")),
        Score(category_id=2, max_points=D("10"), points=None),  # nothing graded in 2
        Score(category_id=1, max_points=D("90"), points=D("0"), counts=False),
    ]
    result = course_result(scores, weights={1: D("10"), 2: D("90")})
    assert result.percent == D("50.00")
    assert result.groups[2].percent is None


def test_no_grade_at_all_gives_no_percent_and_no_letter():
    result = course_result([Score(None, D("10"), None)], weights={})
    assert (result.percent, result.letter) == (None, "")


def test_zero_weights_everywhere_count_the_groups_equally():
    scores = [Score(1, D("10"), D("10")), Score(2, D("10"), D("0"))]
    assert course_result(scores, weights={1: D("0"), 2: D("0")}).percent == D("50.00")


def test_a_zero_weight_category_counts_for_nothing_beside_others():
    scores = [Score(1, D("10"), D("10")), Score(2, D("10"), D("0"))]
    assert course_result(scores, weights={1: D("1"), 2: D("0")}).percent == D("100.00")


def test_rounding_is_half_up_once_at_the_end():
    # 1/8 = 12.5 % exactly -> 12.50; 2/3 -> 66.67; 0.125 / 1 ... and 1/200 -> 0.50
    assert course_result([Score(None, D("8"), D("1"))], weights={}).percent == D("12.50")
    assert course_result([Score(None, D("3"), D("2"))], weights={}).percent == D("66.67")
    assert course_result([Score(None, D("200"), D("1"))], weights={}).percent == D("0.50")
    # 0.005 % rounds up (half up), not to even.
    assert course_result([Score(None, D("2000"), D("0.1"))], weights={}).percent == D("0.01")


def test_a_deleted_category_counts_as_uncategorised():
    result = course_result([Score(99, D("10"), D("4"))], weights={})
    assert result.percent == D("40.00")
    assert None in result.groups


def test_letters_follow_the_scale_thresholds():
    scale = list(DEFAULT_SCALE)
    assert letter_for(D("90.00"), scale) == "A"
    assert letter_for(D("89.99"), scale) == "B"
    assert letter_for(D("60"), scale) == "D"
    assert letter_for(D("0"), scale) == "F"


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ([], "at least one letter"),
        ([("A", "90"), ("B", "90"), ("F", "0")], "same percent"),
        ([("A", "90"), ("a", "80"), ("F", "0")], "only once"),
        ([("A", "90"), ("F", "10")], "start at 0"),
        ([("A", "101"), ("F", "0")], "between 0 and 100"),
        ([("A", "-1"), ("F", "0")], "between 0 and 100"),
        ([("A", "x"), ("F", "0")], "not a number"),
        ([("A", "NaN"), ("F", "0")], "between 0 and 100"),
        ([("", "50"), ("F", "0")], "1 to 5 characters"),
        ([("TOOLONG", "50"), ("F", "0")], "1 to 5 characters"),
        ([("A", "50.123"), ("F", "0")], "two decimals"),
    ],
)
def test_bad_scales_are_refused(scale, message):
    with pytest.raises(ValueError, match=message):
        validate_scale(scale)


def test_a_scale_is_sorted_highest_first():
    assert validate_scale([("F", "0"), ("P", "50")]) == [("P", D("50.00")), ("F", D("0.00"))]


# --- Properties ------------------------------------------------------------------------------

points = st.decimals(min_value=0, max_value=1000, places=2)
maximum = st.decimals(min_value=D("0.01"), max_value=1000, places=2)
weight = st.decimals(min_value=0, max_value=1000, places=2)
category = st.sampled_from([None, 1, 2, 3])


@st.composite
def score(draw):
    top = draw(maximum)
    given_points = draw(st.none() | st.decimals(min_value=0, max_value=top, places=2))
    return Score(
        category_id=draw(category),
        max_points=top,
        points=given_points,
        counts=draw(st.booleans()),
    )


weights_strategy = st.fixed_dictionaries({1: weight, 2: weight, 3: weight})


@given(st.lists(score(), max_size=25), weights_strategy, st.none() | weight)
def test_the_course_percent_stays_between_0_and_100(scores, weights, uncategorised):
    result = course_result(scores, weights=weights, uncategorised_weight=uncategorised)
    if result.percent is not None:
        assert D("0") <= result.percent <= D("100")
        assert result.letter in {letter for letter, _ in DEFAULT_SCALE}


@given(
    st.lists(score(), max_size=25),
    weights_strategy,
    st.none() | weight,
    st.integers(min_value=1, max_value=1000),
)
def test_scaling_every_weight_keeps_the_grade(scores, weights, uncategorised, factor):
    scaled = {key: value * factor for key, value in weights.items()}
    first = course_result(scores, weights=weights, uncategorised_weight=uncategorised)
    second = course_result(
        scores,
        weights=scaled,
        uncategorised_weight=None if uncategorised is None else uncategorised * factor,
    )
    assert first.percent == second.percent


@given(st.lists(score(), min_size=1, max_size=25), weight)
def test_one_category_is_the_plain_percent_of_points(scores, only_weight):
    scores = [Score(1, s.max_points, s.points, s.counts) for s in scores]
    counted = [s for s in scores if s.counts and s.points is not None]
    result = course_result(scores, weights={1: only_weight})
    if not counted:
        assert result.percent is None
    else:
        earned = sum(s.points for s in counted)
        possible = sum(s.max_points for s in counted)
        expected = course_result([Score(None, possible, earned)], weights={}).percent
        assert result.percent == expected
        assert abs(result.percent - earned * 100 / possible) <= D("0.005")


@given(st.lists(st.tuples(st.text(min_size=1, max_size=5), weight), max_size=8))
def test_validated_scales_are_descending_unique_and_end_at_zero(pairs):
    try:
        scale = validate_scale([*pairs, ("ZZ", "0")])
    except ValueError:
        return
    thresholds = [value for _, value in scale]
    assert thresholds == sorted(thresholds, reverse=True)
    assert len(set(thresholds)) == len(thresholds)
    assert thresholds[-1] == 0
    assert all(0 <= value <= 100 for value in thresholds)
