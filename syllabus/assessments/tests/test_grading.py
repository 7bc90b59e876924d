"""Grading and validating answers of every kind against a question snapshot (pure
functions: no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from syllabus.assessments.grading import (
    MAX_ABS_NUMBER,
    ResponseError,
    correct_response,
    grade_response,
    normalise_text,
    parse_number,
    validate_response,
)
from syllabus.assessments.tests.attempt_factories import KINDS


def snap(kind: str, **key_changes) -> dict:
    config = {**KINDS[kind][0], **key_changes}
    snapshot = {"kind": kind, "key": config}
    if kind in ("single", "multiple"):
        snapshot["options"] = [{"id": o["id"], "text": o["text"]} for o in config["options"]]
    if kind == "matching":
        snapshot["prompts"] = [{"id": p["id"], "text": p["prompt"]} for p in config["pairs"]]
        snapshot["matches"] = [{"id": p["id"], "text": p["match"]} for p in config["pairs"]]
    if kind == "ordering":
        snapshot["items"] = list(config["items"])
    return snapshot


TWO = Decimal("2")


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "essay"])
def test_every_kind_gives_full_points_for_the_right_answer_and_none_for_a_wrong_one(kind):
    _, right, wrong = KINDS[kind]
    snapshot = snap(kind)
    assert grade_response(snapshot, validate_response(snapshot, right), TWO) == Decimal("2.00")
    assert grade_response(snapshot, validate_response(snapshot, wrong), TWO) == Decimal("0.00")
    assert grade_response(snapshot, None, TWO) == Decimal("0.00")


def test_essays_wait_for_a_grader():
    snapshot = snap("essay")
    assert grade_response(snapshot, {"text": "An answer"}, TWO) is None
    assert correct_response(snapshot) is None


@pytest.mark.parametrize(
    ("rule", "chosen", "expected"),
    [
        ("all_or_nothing", ["m1", "m2"], "2.00"),
        ("all_or_nothing", ["m1"], "0.00"),
        ("all_or_nothing", ["m1", "m2", "m3"], "0.00"),
        ("right_minus_wrong", ["m1"], "1.00"),  # 1 right of 2
        ("right_minus_wrong", ["m1", "m3"], "0.00"),  # 1 right - 1 wrong
        ("right_minus_wrong", ["m3", "m4"], "0.00"),  # floor at zero, never negative
        ("right_minus_wrong", ["m1", "m2", "m3"], "1.00"),  # (2 - 1) / 2
        ("proportional", ["m1"], "1.50"),  # m1 ticked, m2 missed, m3 m4 rightly left: 3/4
        ("proportional", [], "0.00"),  # nothing ticked is no answer
        ("proportional", ["m1", "m2"], "2.00"),
    ],
)
def test_multiple_choice_partial_credit_rules(rule, chosen, expected):
    snapshot = snap("multiple", partial_credit=rule)
    assert grade_response(snapshot, {"options": chosen}, TWO) == Decimal(expected)


def test_matching_gives_credit_per_pair_and_ordering_is_all_or_nothing_unless_proportional():
    matching = snap("matching")
    assert grade_response(matching, {"pairs": {"p1": "p1"}}, Decimal(3)) == Decimal("1.00")
    strict = snap("matching", partial_credit="all_or_nothing")
    assert grade_response(strict, {"pairs": {"p1": "p1", "p2": "p2"}}, Decimal(3)) == 0
    ordering = snap("ordering")
    assert grade_response(ordering, {"order": ["i1", "i3", "i2"]}, Decimal(3)) == 0
    partial = snap("ordering", partial_credit="proportional")
    assert grade_response(partial, {"order": ["i1", "i3", "i2"]}, Decimal(3)) == Decimal("1.00")


def test_numeric_percent_tolerance():
    snapshot = snap("numeric", answer="200", tolerance="5", tolerance_kind="percent")
    assert grade_response(snapshot, {"value": "210"}, TWO) == TWO
    assert grade_response(snapshot, {"value": "190"}, TWO) == TWO
    assert grade_response(snapshot, {"value": "210.01"}, TWO) == 0


@given(
    answer=st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False),
    tolerance=st.decimals(min_value=0, max_value=100, places=3, allow_nan=False),
    offset=st.decimals(min_value=-200, max_value=200, places=3, allow_nan=False),
)
def test_numeric_tolerance_is_exact_decimal_arithmetic(answer, tolerance, offset):
    snapshot = snap("numeric", answer=str(answer), tolerance=str(tolerance))
    given_value = answer + offset
    points = grade_response(snapshot, {"value": str(given_value)}, TWO)
    assert points == (TWO if abs(offset) <= tolerance else 0)


@given(st.text(max_size=40))
def test_numeric_answers_are_finite_bounded_numbers_or_refused(text):
    try:
        number = parse_number(text)
    except ResponseError:
        return
    assert number.is_finite() and abs(number) <= MAX_ABS_NUMBER


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "sNaN",
        "1e16",
        "-1e400",
        "9" * 41,
        "",
        "12a",
        True,
        None,
        [1],
    ],
)
def test_numeric_refuses_nan_infinity_huge_and_non_numbers(value):
    with pytest.raises(ResponseError):
        validate_response(snap("numeric"), {"value": value})


@given(
    accepted=st.text(min_size=1, max_size=30), noise=st.sampled_from(["", " ", "  ", "\t", "\n "])
)
def test_short_text_ignores_case_and_surrounding_or_repeated_whitespace(accepted, noise):
    assume(accepted.strip())
    snapshot = snap("short_text", accepted=[accepted], case_sensitive=False)
    spaced = noise + accepted.upper().replace(" ", " " + noise) + noise
    # Upper-casing can change length in odd scripts (ß -> SS): compare through the rule.
    expected = normalise_text(spaced) == normalise_text(accepted)
    assert (grade_response(snapshot, {"text": spaced}, TWO) == TWO) is expected


@given(st.text(min_size=1, max_size=30))
def test_short_text_case_sensitive_needs_the_same_case(accepted):
    assume(accepted.strip() and accepted.swapcase() != accepted)
    snapshot = snap("short_text", accepted=[accepted], case_sensitive=True)
    assume(
        normalise_text(accepted, case_sensitive=True)
        != normalise_text(accepted.swapcase(), case_sensitive=True)
    )
    assert grade_response(snapshot, {"text": accepted}, TWO) == TWO
    assert grade_response(snapshot, {"text": accepted.swapcase()}, TWO) == 0


def test_short_text_whitespace_rules():
    ignore = snap("short_text", accepted=["New York"], whitespace="ignore")
    assert grade_response(ignore, {"text": "newyork"}, TWO) == TWO
    exact = snap("short_text", accepted=["New York"], whitespace="exact")
    assert grade_response(exact, {"text": "New  York"}, TWO) == 0
    assert grade_response(exact, {"text": "new york"}, TWO) == TWO
    assert grade_response(snap("short_text"), {"text": "   "}, TWO) == 0


@pytest.mark.parametrize(
    ("kind", "response"),
    [
        ("single", {"option": "zz"}),  # tampered option id
        ("single", {"option": 1}),
        ("single", {"option": "oa", "extra": 1}),
        ("single", ["oa"]),
        ("multiple", {"options": ["m1", "m1"]}),
        ("multiple", {"options": ["m1", "nope"]}),
        ("multiple", {"options": "m1"}),
        ("true_false", {"value": "true"}),
        ("true_false", {"value": 1}),
        ("short_text", {"text": "x" * 501}),
        ("short_text", {"text": 5}),
        ("essay", {"text": "x" * 20001}),
        ("matching", {"pairs": {"p1": "zz"}}),
        ("matching", {"pairs": {"zz": "p1"}}),
        ("matching", {"pairs": [["p1", "p1"]]}),
        ("ordering", {"order": ["i1", "i2"]}),
        ("ordering", {"order": ["i1", "i2", "i2"]}),
        ("ordering", {"order": ["i1", "i2", "i3", "i4"]}),
        ("numeric", {"number": "1"}),
    ],
)
def test_malformed_or_tampered_answers_are_refused(kind, response):
    with pytest.raises(ResponseError):
        validate_response(snap(kind), response)


def test_validation_normalises_and_allows_clearing():
    assert validate_response(snap("multiple"), {"options": ["m2", "m1"]}) == {
        "options": ["m1", "m2"]
    }
    assert validate_response(snap("numeric"), {"value": " 3.5 "}) == {"value": "3.5"}
    assert validate_response(snap("single"), None) is None


@given(st.lists(st.sampled_from(["m1", "m2", "m3", "m4"]), unique=True))
def test_partial_credit_is_always_between_zero_and_full_points(chosen):
    for rule in ("all_or_nothing", "right_minus_wrong", "proportional"):
        points = grade_response(snap("multiple", partial_credit=rule), {"options": chosen}, TWO)
        assert points is not None and 0 <= points <= TWO


def test_a_key_that_no_longer_fits_gives_no_credit_instead_of_failing():
    snapshot = snap("numeric")
    snapshot["key"] = {"answer": "not a number"}
    assert grade_response(snapshot, {"value": "1"}, TWO) == 0


def test_correct_responses_grade_full():
    for kind in KINDS:
        if kind in ("essay", "short_text", "numeric"):
            continue
        snapshot = snap(kind)
        assert grade_response(snapshot, correct_response(snapshot), TWO) == TWO


@pytest.mark.parametrize("value", ["1,000", "1_000", "3,5"])
def test_numbers_with_separators_are_refused_rather_than_misread(value):
    with pytest.raises(ResponseError, match="point for decimals"):
        parse_number(value)
