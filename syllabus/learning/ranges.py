"""Watched ranges of a video: ``[[start, end], ...]`` in seconds, merged and capped.

A player reports what it played as ranges; the server keeps their union so that
rewatching a part never counts twice and the watched share never exceeds the video.
The merge is a pure function (property-tested): the result does not depend on the order
or the grouping of the reports, and merging the same report again changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

# Players report their position a few times a second, so two reports a fraction of a
# second apart are one continuous viewing; gaps shorter than this are closed. It also
# bounds the stored list: at most one range per GAP_SECONDS of video.
GAP_SECONDS = 1.0
# Most ranges one report may carry; a player sends a handful.
MAX_RANGES_PER_REPORT = 100
# Longest video we accept a duration for (24 hours).
MAX_DURATION_SECONDS = 24 * 3600.0

Range = tuple[float, float]


class RangeError(ValueError):
    """A report that is not a list of [start, end] number pairs."""


def parse_ranges(raw: object) -> list[Range]:
    """Check the shape of reported ranges: a list of ``[start, end]`` pairs of finite
    numbers. Values are not bounded here (``merge`` clamps them to the video)."""
    if not isinstance(raw, list | tuple):
        raise RangeError(_("ranges must be a list of [start, end] pairs."))
    if len(raw) > MAX_RANGES_PER_REPORT:
        raise RangeError(
            _("Send at most %(count)s ranges at a time.") % {"count": MAX_RANGES_PER_REPORT}
        )
    parsed: list[Range] = []
    for item in raw:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise RangeError(_("Each range is a pair [start, end] in seconds."))
        start, end = item
        if not all(_is_number(v) for v in (start, end)):
            raise RangeError(_("Range bounds are numbers of seconds."))
        if end < start:
            raise RangeError(_("A range ends after it starts."))
        parsed.append((float(start), float(end)))
    return parsed


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def merge(ranges: Iterable[Sequence[float]], duration: float) -> list[list[float]]:
    """The union of ``ranges`` clamped to ``[0, duration]``, sorted, with overlapping,
    touching and nearly touching (gap < GAP_SECONDS) ranges joined; empty ranges dropped."""
    clamped: list[Range] = []
    for start, end in ranges:
        s = min(max(float(start), 0.0), duration)
        e = min(max(float(end), 0.0), duration)
        if e > s:
            clamped.append((s, e))
    clamped.sort()
    merged: list[list[float]] = []
    for s, e in clamped:
        if merged and s - merged[-1][1] < GAP_SECONDS:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def watched_seconds(ranges: Iterable[Sequence[float]]) -> float:
    """Seconds covered by already merged ranges."""
    return sum(end - start for start, end in ranges)


def watched_percent(ranges: Iterable[Sequence[float]], duration: float) -> float:
    if duration <= 0:
        return 0.0
    return min(100.0, watched_seconds(ranges) * 100.0 / duration)
