"""The grades CSV parser: any input gives rows or a clear ImportFormatError (never another
exception), and rows written by a CSV writer read back as written."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.grades.imports import MAX_ROWS, ImportFormatError, parse_grades_csv


@given(st.binary(max_size=2000))
def test_any_bytes_give_rows_or_a_format_error(data):
    try:
        rows = parse_grades_csv(data)
    except ImportFormatError as exc:
        assert str(exc)
    else:
        assert rows and all(row.line >= 2 for row in rows)


@given(st.text(max_size=2000))
def test_any_text_gives_rows_or_a_format_error(text):
    try:
        rows = parse_grades_csv(text)
    except ImportFormatError as exc:
        assert str(exc)
    else:
        assert all(row.line >= 2 for row in rows)


cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
    max_size=30,
).map(str.strip)


@given(
    st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=40).filter(
        lambda rows: all(any(value for value in row) for row in rows)
    ),
    st.permutations(["email", "item", "points"]),
)
def test_written_rows_read_back(rows, order):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*order, "comment"])
    for email, item, points in rows:
        values = {"email": email, "item": item, "points": points}
        writer.writerow([*(values[name] for name in order), "ignored"])
    parsed = parse_grades_csv(buffer.getvalue().encode())
    assert [(r.email, r.item, r.points) for r in parsed] == rows


def test_header_and_size_problems_are_explained():
    with pytest.raises(ImportFormatError, match="empty"):
        parse_grades_csv(b"")
    with pytest.raises(ImportFormatError, match="missing: points"):
        parse_grades_csv(b"email,item\nx,y\n")
    with pytest.raises(ImportFormatError, match="no rows"):
        parse_grades_csv(b"email,item,points\n")
    with pytest.raises(ImportFormatError, match="not UTF-8"):
        parse_grades_csv(b"email,item,points\n\xff,x,1\n")
    with pytest.raises(ImportFormatError, match="larger than"):
        parse_grades_csv(b"x" * (1024 * 1024 + 1))
    too_many = "email,item,points\n" + "a@example.org,x,1\n" * (MAX_ROWS + 1)
    with pytest.raises(ImportFormatError, match="more than"):
        parse_grades_csv(too_many)


def test_a_byte_order_mark_and_short_rows_are_fine():
    rows = parse_grades_csv("\ufeffEmail, Item ,POINTS\na@example.org,Quiz\n".encode())
    assert [(r.email, r.item, r.points, r.line) for r in rows] == [("a@example.org", "Quiz", "", 2)]
