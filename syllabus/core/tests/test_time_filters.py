from datetime import timedelta

import time_machine
from django.utils import timezone

from syllabus.core.templatetags.syllabus_time import ago


@time_machine.travel("2026-11-26 10:00:00+00:00", tick=False)
def test_ago_says_just_now_under_a_minute_and_for_clock_skew():
    now = timezone.now()
    assert ago(now) == "just now"
    assert ago(now - timedelta(seconds=59)) == "just now"
    assert ago(now + timedelta(seconds=5)) == "just now"
    assert ago(now - timedelta(minutes=5)) == "5\xa0minutes ago"
    assert ago(now - timedelta(days=2, hours=1)) == "2\xa0days, 1\xa0hour ago"
    assert ago(None) == ""
