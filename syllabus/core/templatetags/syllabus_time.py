"""Relative times for people: "just now", "5 minutes ago", "2 days ago"."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(value: datetime | None) -> str:
    """``timesince`` with "ago", but "just now" under a minute (Django says "0 minutes")
    and for times slightly in the future (clocks of two servers disagree)."""
    if value is None:
        return ""
    if timezone.now() - value < JUST_NOW:
        return gettext("just now")
    # timesince is translated by Django ("5 minutos"); the sentence around it is ours.
    return gettext("%(time)s ago") % {"time": timesince(value)}
