"""Signals other apps listen to (certificates are issued on course completion)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that completed a course commits, with ``user`` and
# ``course``; ``completed_at`` is the moment of completion. Sent once per learner and
# course: completion is never cleared.
course_completed = Signal()
