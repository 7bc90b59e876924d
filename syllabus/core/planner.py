"""Fresh planner statistics after writing many rows at once.

The query planner chooses indexes from per-table statistics that ``ANALYZE`` gathers.
A bulk load (``syllabus demo --scale``) or a restore (a dump carries no statistics)
leaves them empty or stale until autovacuum gets round to it, which is minutes later, or
never where autovacuum is off. Measured at 100,000 learners (bench/RESULTS.md): with stale
statistics the learner's enrolment lookup on every course page took 15 to 30 ms instead of
0.2 ms, because PostgreSQL intersected a bitmap of 400,000 learner memberships with the
one row it needed.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def analyze(using: str = DEFAULT_DB_ALIAS) -> bool:
    """``ANALYZE`` the whole database (PostgreSQL and SQLite both have it). Returns
    whether it ran. Outside any transaction on PostgreSQL it takes only light locks, so
    serving goes on meanwhile."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
