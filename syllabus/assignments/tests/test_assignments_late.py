"""The late policy's pure rules: deadlines, days late, penalties and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from syllabus.assignments import late

DUE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CUTOFF = DUE + timedelta(days=3)


def test_penalty_policy_never_closes_and_resubmits_until_the_due_date():
    d = late.deadline_for(policy=late.PENALTY, due_at=DUE, cutoff_at=None)
    assert (d.due_at, d.closes_at, d.resubmit_until, d.extended) == (DUE, None, DUE, False)


def test_cutoff_policy_closes_at_the_cutoff_and_an_extension_past_it_moves_it():
    d = late.deadline_for(policy=late.CUTOFF, due_at=DUE, cutoff_at=CUTOFF)
    assert (d.closes_at, d.resubmit_until) == (CUTOFF, CUTOFF)
    later = CUTOFF + timedelta(days=2)
    d = late.deadline_for(policy=late.CUTOFF, due_at=DUE, cutoff_at=CUTOFF, extension_due_at=later)
    assert (d.due_at, d.closes_at, d.extended) == (later, later, True)


def test_refuse_policy_closes_at_the_due_date_or_the_extension():
    assert late.deadline_for(policy=late.REFUSE, due_at=DUE, cutoff_at=None).closes_at == DUE
    ext = DUE + timedelta(days=1)
    d = late.deadline_for(policy=late.REFUSE, due_at=DUE, cutoff_at=None, extension_due_at=ext)
    assert d.closes_at == ext


def test_no_due_date_never_closes_and_is_never_late():
    d = late.deadline_for(policy=late.REFUSE, due_at=None, cutoff_at=None)
    assert d.closes_at is None
    assert late.days_late(submitted_at=DUE, due_at=None) == 0


def test_days_late_counts_started_days():
    assert late.days_late(submitted_at=DUE, due_at=DUE) == 0
    assert late.days_late(submitted_at=DUE + timedelta(seconds=1), due_at=DUE) == 1
    assert late.days_late(submitted_at=DUE + timedelta(days=1), due_at=DUE) == 1
    assert late.days_late(submitted_at=DUE + timedelta(days=1, seconds=1), due_at=DUE) == 2


def test_penalty_is_per_day_and_capped():
    assert late.penalty_percent(days=0, per_day=Decimal(10), cap=Decimal(50)) == 0
    assert late.penalty_percent(days=2, per_day=Decimal(10), cap=Decimal(50)) == 20
    assert late.penalty_percent(days=9, per_day=Decimal(10), cap=Decimal(50)) == 50


def test_apply_penalty_never_takes_more_than_earned():
    assert late.apply_penalty(
        points=Decimal(8), max_points=Decimal(10), percent=Decimal(20)
    ) == Decimal("2.00")
    assert late.apply_penalty(points=Decimal(1), max_points=Decimal(10), percent=Decimal(50)) == 1


def test_refusals_say_why():
    refuse = late.deadline_for(policy=late.REFUSE, due_at=DUE, cutoff_at=None)
    after = DUE + timedelta(hours=1)
    assert "closed" in late.submission_refusal(
        deadline=refuse, now=after, has_previous=False, allow_resubmission=True
    )
    assert (
        late.submission_refusal(
            deadline=refuse, now=DUE, has_previous=False, allow_resubmission=True
        )
        == ""
    )
    assert "one submission" in late.submission_refusal(
        deadline=refuse, now=DUE, has_previous=True, allow_resubmission=False
    )
    penalty = late.deadline_for(policy=late.PENALTY, due_at=DUE, cutoff_at=None)
    # late work is taken once, but not new versions after the due date
    assert (
        late.submission_refusal(
            deadline=penalty, now=after, has_previous=False, allow_resubmission=True
        )
        == ""
    )
    assert "last submission stands" in late.submission_refusal(
        deadline=penalty, now=after, has_previous=True, allow_resubmission=True
    )


def test_policy_in_words():
    penalty = late.deadline_for(policy=late.PENALTY, due_at=DUE, cutoff_at=None)
    words = late.policy_in_words(
        policy=late.PENALTY,
        per_day=Decimal("10.00"),
        cap=Decimal("50.00"),
        deadline=penalty,
        allow_resubmission=False,
    )
    assert "penalty of 10% of the maximum per started day late, at most 50%" in words
    assert "only once" in words
    cutoff = late.deadline_for(policy=late.CUTOFF, due_at=DUE, cutoff_at=CUTOFF)
    words = late.policy_in_words(
        policy=late.CUTOFF,
        per_day=Decimal(0),
        cap=Decimal(0),
        deadline=cutoff,
        allow_resubmission=True,
    )
    assert "without penalty until" in words and "new versions until" in words


@given(
    days=st.integers(min_value=0, max_value=10_000),
    per_day=st.decimals(min_value=0, max_value=100, places=2),
    cap=st.decimals(min_value=0, max_value=100, places=2),
)
def test_penalty_stays_within_zero_and_the_cap(days, per_day, cap):
    percent = late.penalty_percent(days=days, per_day=per_day, cap=cap)
    assert 0 <= percent <= cap
    assert late.penalty_percent(days=days + 1, per_day=per_day, cap=cap) >= percent


@given(seconds=st.integers(min_value=-(10**7), max_value=10**8))
def test_days_late_is_the_ceiling_of_the_delay(seconds):
    days = late.days_late(submitted_at=DUE + timedelta(seconds=seconds), due_at=DUE)
    if seconds <= 0:
        assert days == 0
    else:
        assert (days - 1) * 86400 < seconds <= days * 86400


@given(
    points=st.decimals(min_value=0, max_value=1000, places=2),
    percent=st.decimals(min_value=0, max_value=100, places=2),
)
def test_penalised_grade_stays_between_zero_and_earned(points, percent):
    lost = late.apply_penalty(points=points, max_points=Decimal(1000), percent=percent)
    assert 0 <= lost <= points
