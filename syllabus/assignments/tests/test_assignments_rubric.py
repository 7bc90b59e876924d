"""Rubrics: the text format, the API's JSON, ids kept across edits, scoring."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from syllabus.assignments.rubric import (
    clean_rubric,
    parse_rubric_text,
    rubric_as_text,
    rubric_total,
    score,
)

TEXT = """Argument: Is the thesis clear?
- 6: Clear and supported
- 3: Thin

Style
- 4: Fluent
- 1.5: Rough
"""


def test_text_format_parses_criteria_and_levels():
    rubric = parse_rubric_text(TEXT)
    assert [c["title"] for c in rubric] == ["Argument", "Style"]
    assert rubric[0]["description"] == "Is the thesis clear?"
    assert [(lv["points"], lv["title"]) for lv in rubric[1]["levels"]] == [
        ("4.00", "Fluent"),
        ("1.50", "Rough"),
    ]
    assert rubric_total(rubric) == Decimal("10")


def test_round_trip_keeps_ids():
    rubric = parse_rubric_text(TEXT)
    again = parse_rubric_text(rubric_as_text(rubric), rubric)
    assert again == rubric


def test_an_edited_level_gets_a_new_id_and_the_others_keep_theirs():
    rubric = parse_rubric_text(TEXT)
    edited = parse_rubric_text(TEXT.replace("- 3: Thin", "- 2: Thin"), rubric)
    assert edited[0]["id"] == rubric[0]["id"]
    assert edited[0]["levels"][0]["id"] == rubric[0]["levels"][0]["id"]
    assert edited[0]["levels"][1]["id"] != rubric[0]["levels"][1]["id"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 5: Orphan", "Line 1: a level must follow"),
        ("Argument\n- five: Good", "Line 2: points must be a number"),
        ("Argument\n- 5 Good", "Line 2: write a level as"),
        ("Argument", "needs at least one level"),
        ("A\n- 1: x\na\n- 1: y", "two criteria are called"),
        ("A\n- -1: x", "between 0 and"),
        ("A\n- 1.005: x", "at most two decimals"),
        ("A\n- 1:  ", "needs a title"),
    ],
)
def test_text_format_errors_name_the_line(text, message):
    with pytest.raises(ValidationError) as info:
        parse_rubric_text(text)
    assert message in " ".join(info.value.messages)


def test_limits():
    with pytest.raises(ValidationError, match="at most 20 criteria"):
        clean_rubric(
            [{"title": f"C{i}", "levels": [{"title": "x", "points": 1}]} for i in range(21)]
        )
    with pytest.raises(ValidationError, match="more than 10 levels"):
        clean_rubric([{"title": "C", "levels": [{"title": "x", "points": 1}] * 11}])
    with pytest.raises(ValidationError, match="list of criteria"):
        clean_rubric("nope")


def test_score_needs_one_level_per_criterion_and_keeps_a_snapshot():
    rubric = parse_rubric_text(TEXT)
    picks = {
        rubric[0]["id"]: rubric[0]["levels"][1]["id"],
        rubric[1]["id"]: rubric[1]["levels"][0]["id"],
    }
    total, snapshot = score(rubric, picks)
    assert total == Decimal("7")
    assert snapshot[0] == {
        "criterion_id": rubric[0]["id"],
        "criterion": "Argument",
        "level_id": rubric[0]["levels"][1]["id"],
        "level": "Thin",
        "points": "3.00",
        "max_points": "6.00",
    }
    with pytest.raises(ValidationError, match="Choose a level for “Style”"):
        score(rubric, {rubric[0]["id"]: rubric[0]["levels"][0]["id"]})
    with pytest.raises(ValidationError, match="rubric has changed"):
        score(rubric, {**picks, "crt_gone": "lvl_x"})
    with pytest.raises(ValidationError, match="rubric has changed"):
        score(rubric, {**picks, rubric[1]["id"]: "lvl_unknown"})


_title = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=":-"
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip())


@given(
    criteria=st.lists(
        st.tuples(
            _title,
            st.lists(
                st.tuples(st.decimals(min_value=0, max_value=1000, places=2), _title),
                min_size=1,
                max_size=5,
            ),
        ),
        min_size=1,
        max_size=6,
        unique_by=lambda c: " ".join(c[0].split()).casefold(),
    )
)
def test_any_valid_rubric_survives_the_text_round_trip(criteria):
    data = [
        {"title": t, "levels": [{"title": lt, "points": str(p)} for p, lt in levels]}
        for t, levels in criteria
    ]
    rubric = clean_rubric(data)
    assert parse_rubric_text(rubric_as_text(rubric), rubric) == rubric


@given(st.text(max_size=300))
def test_the_parser_never_crashes(text):
    try:
        rubric = parse_rubric_text(text)
    except ValidationError:
        return
    assert all(c["levels"] for c in rubric)
