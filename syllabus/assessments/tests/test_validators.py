"""Question config validation per kind, and points: the stored shape the graders read."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from syllabus.assessments.tests.authoring_helpers import CONFIGS
from syllabus.assessments.validators import (
    KINDS,
    clean_config,
    clean_points,
    new_choice_id,
)

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


def _errors(kind: str, config: Any) -> list[str]:
    with pytest.raises(ValidationError) as error:
        clean_config(kind, config)
    return error.value.message_dict["config"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_sample_config_of_every_kind_is_valid_and_stable(kind):
    cleaned = clean_config(kind, CONFIGS[kind])
    # Cleaning the stored form again changes nothing (ids are kept).
    assert clean_config(kind, cleaned) == cleaned


@given(kind=st.sampled_from(KINDS), config=JSONISH)
def test_any_json_is_either_cleaned_or_refused_with_a_message(kind, config):
    try:
        cleaned = clean_config(kind, config)
    except ValidationError as exc:
        assert exc.messages and all(isinstance(m, str) and m for m in exc.messages)
    else:
        assert clean_config(kind, cleaned) == cleaned


def test_unknown_kinds_are_refused():
    with pytest.raises(ValidationError) as error:
        clean_config("drawing", {})
    assert "kind" in error.value.message_dict


# --- Choices ----------------------------------------------------------------------------------


def test_options_get_random_ids_and_keep_given_ones():
    cleaned = clean_config(
        "single",
        {
            "options": [
                {"id": "keepme1", "text": " A ", "correct": True},
                {"text": "B"},
            ],
            "ignored": 1,
        },
    )
    assert cleaned == {
        "options": [
            {"id": "keepme1", "text": "A", "correct": True},
            {"id": cleaned["options"][1]["id"], "text": "B", "correct": False},
        ]
    }
    assert cleaned["options"][1]["id"] != "keepme1"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"options": [{"text": "A", "correct": True}]}, "at least 2"),
        ({"options": [{"text": "A"}, {"text": "B"}]}, "exactly one"),
        ({"options": [{"text": "A", "correct": True}, {"text": "B", "correct": True}]}, "exactly"),
        ({"options": [{"text": "A", "correct": True}, {"text": "A"}]}, "same text"),
        ({"options": [{"text": "", "correct": True}, {"text": "B"}]}, "empty"),
        ({"options": [{"id": "x", "text": "A", "correct": True}, {"text": "B"}]}, "not valid"),
        (
            {
                "options": [
                    {"id": "same1", "text": "A", "correct": True},
                    {"id": "same1", "text": "B"},
                ]
            },
            "have the id",
        ),
        ({"options": [{"text": "A", "correct": "yes"}, {"text": "B"}]}, "true or false"),
        ({"options": [{"text": str(n)} for n in range(21)]}, "at most 20"),
        ({"options": "A, B"}, "Add the answer options"),
    ],
)
def test_single_choice_rules(config, message):
    assert any(message in m for m in _errors("single", config))


def test_multiple_choice_needs_a_correct_option_and_a_known_partial_credit_rule():
    options = [{"text": "A"}, {"text": "B"}]
    assert any("at least one" in m for m in _errors("multiple", {"options": options}))
    options[0]["correct"] = True
    assert any(
        "Partial credit" in m
        for m in _errors("multiple", {"options": options, "partial_credit": "some"})
    )
    assert clean_config("multiple", {"options": options})["partial_credit"] == "all_or_nothing"


@given(st.integers(min_value=0, max_value=25))
def test_every_new_option_gets_a_distinct_well_formed_id(n):
    options = [{"text": f"Option {i}", "correct": i == 0} for i in range(n)]
    try:
        cleaned = clean_config("multiple", {"options": options})
    except ValidationError:
        assert n < 2 or n > 20
        return
    ids = [o["id"] for o in cleaned["options"]]
    assert len(set(ids)) == len(ids) == n
    assert all(re.fullmatch(r"[a-z0-9]{4,16}", i) for i in ids)


def test_new_choice_ids_are_short_random_strings():
    ids = {new_choice_id() for _ in range(200)}
    assert len(ids) == 200 and all(len(i) == 8 for i in ids)


# --- Other kinds ------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [None, "true", 1, 0])
def test_true_false_needs_a_boolean(answer):
    assert _errors("true_false", {"answer": answer})


def test_short_text_needs_distinct_non_empty_answers_under_its_rules():
    assert _errors("short_text", {"accepted": []})
    assert _errors("short_text", {"accepted": ["  "]})
    assert _errors("short_text", {"accepted": ["Paris", "paris"]})  # same without case
    assert clean_config("short_text", {"accepted": ["Paris", "paris"], "case_sensitive": True})
    assert _errors("short_text", {"accepted": ["New  York", "New York"]})
    assert clean_config(
        "short_text", {"accepted": ["New  York", "New York"], "whitespace": "exact"}
    )
    assert _errors("short_text", {"accepted": ["x"], "whitespace": "trim"})
    assert _errors("short_text", {"accepted": ["x"], "case_sensitive": "no"})


@given(
    answer=st.decimals(
        min_value=Decimal("-999999999"), max_value=Decimal("999999999"), places=6, allow_nan=False
    ),
    tolerance=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=3),
)
def test_numeric_answers_round_trip_as_canonical_strings(answer, tolerance):
    cleaned = clean_config(
        "numeric",
        {"answer": str(answer), "tolerance": str(tolerance), "tolerance_kind": "percent"},
    )
    assert Decimal(cleaned["answer"]) == answer
    assert Decimal(cleaned["tolerance"]) == tolerance
    assert "E" not in cleaned["answer"].upper()
    assert clean_config("numeric", cleaned) == cleaned


@pytest.mark.parametrize(
    "config",
    [
        {"answer": "NaN"},
        {"answer": "Infinity"},
        {"answer": "1e20"},
        {"answer": "abc"},
        {"answer": ""},
        {"answer": None},
        {"answer": True},
        {"answer": "1.0000001"},
        {"answer": "1", "tolerance": "-0.5"},
        {"answer": "1", "tolerance": "101", "tolerance_kind": "percent"},
        {"answer": "1", "tolerance_kind": "relative"},
    ],
)
def test_numeric_refuses_bad_numbers(config):
    assert _errors("numeric", config)


def test_numeric_accepts_json_numbers_and_writes_them_exactly():
    cleaned = clean_config("numeric", {"answer": 0.1, "tolerance": 0})
    assert cleaned == {"answer": "0.1", "tolerance": "0", "tolerance_kind": "absolute"}


def test_matching_needs_two_distinct_pairs():
    assert _errors("matching", {"pairs": [{"prompt": "A", "match": "1"}]})
    assert _errors(
        "matching", {"pairs": [{"prompt": "A", "match": "1"}, {"prompt": "A", "match": "2"}]}
    )
    assert _errors(
        "matching", {"pairs": [{"prompt": "A", "match": "1"}, {"prompt": "B", "match": "1"}]}
    )
    assert _errors("matching", {"pairs": [{"prompt": "A"}, {"prompt": "B", "match": "2"}]})


def test_ordering_needs_two_distinct_items_and_keeps_their_order():
    assert _errors("ordering", {"items": [{"text": "Only"}]})
    assert _errors("ordering", {"items": [{"text": "A"}, {"text": "A"}]})
    cleaned = clean_config("ordering", {"items": [{"text": "Z"}, {"text": "A"}, {"text": "M"}]})
    assert [i["text"] for i in cleaned["items"]] == ["Z", "A", "M"]


def test_essay_guidance_is_optional_text():
    assert clean_config("essay", {}) == {"guidance": ""}
    assert clean_config("essay", {"guidance": None}) == {"guidance": ""}
    assert _errors("essay", {"guidance": 5})
    assert _errors("essay", {"guidance": "x" * 5001})


# --- Points -----------------------------------------------------------------------------------


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2))
def test_points_in_bounds_are_kept(points):
    assert clean_points(str(points)) == points


@pytest.mark.parametrize(
    "points", ["0", "-1", "0.001", "1000.01", "1e9", "NaN", "inf", "", "two", None, True, [1]]
)
def test_points_out_of_bounds_are_refused(points):
    with pytest.raises(ValidationError) as error:
        clean_points(points)
    assert "points" in error.value.message_dict
