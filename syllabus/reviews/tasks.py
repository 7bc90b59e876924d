"""Scheduled access review work (times in UTC): a campaign every quarter, and a weekly
reminder to reviewers with items still pending."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.reviews.models import Campaign
from syllabus.reviews.services import remind_reviewers, start_quarterly


@db_periodic_task(crontab(month="1,4,7,10", day="1", hour="6", minute="7"))
def quarterly_access_review_task() -> bool:
    """The first day of each quarter: start its campaign (nothing when one exists)."""
    return start_quarterly() is not None


@db_periodic_task(crontab(day_of_week="1", hour="8", minute="3"))
def access_review_reminders_task() -> int:
    """Mondays: remind reviewers of open campaigns who still have items to review."""
    return sum(
        remind_reviewers(campaign=campaign)
        for campaign in Campaign.objects.filter(status=Campaign.Status.OPEN)
    )
