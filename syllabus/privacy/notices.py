"""Notifications in each recipient's language: a notification is stored as text, so it is
written in the language its reader chose (``User.language``; blank: the site default)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils import translation

from syllabus.communication.services import notify


def language_of(user: Any) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def notify_in_their_language(
    recipients: Iterable[Any], *, kind: str, url: str, text: Callable[[], tuple[str, str]]
) -> int:
    """``text`` returns (title, body) and is called once per language among the recipients,
    with that language active. Returns how many people were notified."""
    by_language: dict[str, list[Any]] = defaultdict(list)
    for user in recipients:
        by_language[language_of(user)].append(user)
    notified = 0
    for language, people in sorted(by_language.items()):
        with translation.override(language):
            title, body = text()
        notified += notify(people, kind=kind, title=title, body=body, url=url)
    return notified
