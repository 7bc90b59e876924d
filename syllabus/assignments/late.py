"""The late policy as pure functions: the deadline a learner has, whether work may be
handed in now, how many days late it is and what penalty that costs. No database: the
services pass the dates in, the tests drive them with any dates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

PENALTY, CUTOFF, REFUSE = "penalty", "cutoff", "refuse"
DAY = timedelta(days=1)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Deadline:
    """One learner's dates for one assignment."""

    due_at: datetime | None  # the extension when there is one, else the lesson's due date
    closes_at: datetime | None  # after this nothing is accepted (None: never closes)
    resubmit_until: datetime | None  # new versions accepted until then (None: always)
    extended: bool


def deadline_for(
    *,
    policy: str,
    due_at: datetime | None,
    cutoff_at: datetime | None,
    extension_due_at: datetime | None = None,
) -> Deadline:
    due = extension_due_at or due_at
    if policy == PENALTY:
        closes = None
    elif policy == CUTOFF:
        # An extension past the cut-off moves it: the learner was given that date.
        candidates = [d for d in (cutoff_at, extension_due_at) if d is not None]
        closes = max(candidates) if candidates else due
    elif policy == REFUSE:
        closes = due
    else:
        raise ValueError(f"Unknown late policy {policy!r}.")
    resubmit_until = closes if policy == CUTOFF else due
    return Deadline(
        due_at=due,
        closes_at=closes,
        resubmit_until=resubmit_until,
        extended=extension_due_at is not None,
    )


def days_late(*, submitted_at: datetime, due_at: datetime | None) -> int:
    """Started days after the due date (one second late is one day); 0 when on time."""
    if due_at is None or submitted_at <= due_at:
        return 0
    return math.ceil((submitted_at - due_at) / DAY)


def penalty_percent(*, days: int, per_day: Decimal, cap: Decimal) -> Decimal:
    if days <= 0:
        return Decimal("0")
    return min(Decimal(days) * per_day, cap, Decimal("100")).quantize(CENT)


def submission_refusal(
    *, deadline: Deadline, now: datetime, has_previous: bool, allow_resubmission: bool
) -> str:
    """Why work cannot be handed in now ("" when it can), in words for the learner."""
    if has_previous:
        if not allow_resubmission:
            return _("You have already handed this in, and this assignment takes one submission.")
        if deadline.resubmit_until is not None and now > deadline.resubmit_until:
            return _("New versions were accepted until %(when)s; your last submission stands.") % {
                "when": _when(deadline.resubmit_until)
            }
        return ""
    if deadline.closes_at is not None and now > deadline.closes_at:
        return _("This assignment closed on %(when)s: work is no longer accepted.") % {
            "when": _when(deadline.closes_at)
        }
    return ""


def apply_penalty(*, points: Decimal, max_points: Decimal, percent: Decimal) -> Decimal:
    """Points lost to a late penalty: ``percent`` of the maximum, never more than the
    points earned (a grade does not go below zero)."""
    if percent <= 0 or points <= 0:
        return Decimal("0")
    return min(points, (max_points * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP))


def policy_in_words(
    *, policy: str, per_day: Decimal, cap: Decimal, deadline: Deadline, allow_resubmission: bool
) -> str:
    """The rules in one or two sentences, for the lesson page."""
    if deadline.due_at is None:
        text = _("There is no due date.")
        if policy == CUTOFF and deadline.closes_at is not None:
            # Whole sentences joined with a space: each one is translated as a whole.
            text += " " + _("Work is accepted until %(when)s.") % {
                "when": _when(deadline.closes_at)
            }
    elif policy == PENALTY:
        text = _(
            "Late work is accepted with a penalty of %(per_day)s%% of the maximum per "
            "started day late, at most %(cap)s%%."
        ) % {"per_day": _number(per_day), "cap": _number(cap)}
    elif policy == CUTOFF and deadline.closes_at is not None:
        if deadline.closes_at > deadline.due_at:
            text = _("Late work is accepted without penalty until %(when)s.") % {
                "when": _when(deadline.closes_at)
            }
        else:
            text = _("Late work is not accepted.")
    else:
        text = _("Late work is not accepted.")
    if allow_resubmission:
        if deadline.resubmit_until is None:
            text += " " + _("You may hand in new versions at any time; the latest is graded.")
        else:
            text += " " + _(
                "You may hand in new versions until %(when)s; the latest is graded."
            ) % {"when": _when(deadline.resubmit_until)}
    else:
        text += " " + _("You can hand in only once.")
    return text


def _number(value: Decimal) -> str:
    # In the reader's number format (12,5 in Spanish), without trailing zeros.
    return number_format(Decimal(f"{value.normalize():f}"))


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
