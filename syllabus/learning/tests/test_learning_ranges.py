"""Watched-range merging: property tests (bounded, idempotent, order-independent)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syllabus.learning.ranges import (
    GAP_SECONDS,
    MAX_RANGES_PER_REPORT,
    RangeError,
    merge,
    parse_ranges,
    watched_percent,
    watched_seconds,
)

seconds = st.floats(min_value=-50, max_value=500, allow_nan=False, allow_infinity=False)
pair = st.tuples(seconds, seconds).map(lambda p: (min(p), max(p)))
reports = st.lists(pair, max_size=30)
durations = st.floats(min_value=0.5, max_value=400, allow_nan=False)


@given(reports, durations)
def test_merged_ranges_never_exceed_the_video(ranges, duration):
    merged = merge(ranges, duration)
    assert watched_seconds(merged) <= duration + 1e-9
    assert watched_percent(merged, duration) <= 100
    for start, end in merged:
        assert 0 <= start < end <= duration


@given(reports, durations)
def test_merged_ranges_are_sorted_and_apart(ranges, duration):
    merged = merge(ranges, duration)
    for (_, end), (start, _) in pairwise(merged):
        assert start - end >= GAP_SECONDS


@given(reports, durations)
def test_merging_again_changes_nothing(ranges, duration):
    once = merge(ranges, duration)
    assert merge(once, duration) == once
    assert merge(once + once, duration) == once


@given(reports, reports, durations, st.randoms())
def test_order_and_grouping_do_not_matter(first, second, duration, rnd):
    all_at_once = merge(first + second, duration)
    stepwise = merge(merge(first, duration) + second, duration)
    shuffled = list(first + second)
    rnd.shuffle(shuffled)
    assert stepwise == all_at_once
    assert merge(shuffled, duration) == all_at_once


@given(reports, durations)
def test_every_reported_second_inside_the_video_counts(ranges, duration):
    merged = merge(ranges, duration)
    for start, end in ranges:
        s, e = max(start, 0), min(end, duration)
        if e > s:
            assert any(a <= s and e <= b for a, b in merged)


def test_examples():
    assert merge([[0, 10], [5, 20], [40, 50]], 45) == [[0, 20], [40, 45]]
    assert merge([[0, 10], [10.5, 20]], 100) == [[0, 20]]  # a half-second gap closes
    assert merge([[0, 10], [12, 20]], 100) == [[0, 10], [12, 20]]
    assert merge([[-5, 3], [200, 300]], 100) == [[0, 3]]
    assert watched_percent([[0, 45]], 90) == 50


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=4),
        max_leaves=20,
    )
)
def test_parse_accepts_or_refuses_anything_without_crashing(raw):
    try:
        parsed = parse_ranges(raw)
    except RangeError as exc:
        assert str(exc)
    else:
        assert all(start <= end for start, end in parsed)


@pytest.mark.parametrize(
    "raw",
    [
        "0-10",
        [[0]],
        [[0, 1, 2]],
        [[0, "10"]],
        [[True, 3]],
        [[5, 1]],
        [[0, float("nan")]],
        [[0, float("inf")]],
        [[0, 1]] * (MAX_RANGES_PER_REPORT + 1),
    ],
)
def test_bad_reports_are_refused(raw):
    with pytest.raises(RangeError):
        parse_ranges(raw)
