"""FERPA directory information: which of a learner's fields may be shown to others.

Directory information is what a school may disclose without consent (FERPA
§99.3/§99.37): here the fields named by ``SYLLABUS_DIRECTORY_FIELDS`` (``full_name`` and
``email`` by default). A learner may opt out; then those fields are withheld wherever
learners are listed (the roster page, its CSV export and its API), and only people who
administer accounts (``user.manage``) still see them. Education records themselves
(progress, grades, submissions) stay visible to the course's staff, who have a
legitimate educational interest; staff pages that show them identify the learner, and
every such view is audited (``syllabus.learning.records``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext, gettext_noop

from syllabus.accounts.permissions import has_site_perm
from syllabus.audit.services import record
from syllabus.learning.models import DirectoryOptOut

# Marked for the catalogue; shown through gettext(WITHHELD), in the reader's language.
WITHHELD = gettext_noop("Withheld (directory opt-out)")


def opted_out(user: Any) -> bool:
    return DirectoryOptOut.objects.filter(user=user).exists()


@transaction.atomic
def directory_opt_out_set(*, user: Any, opted_out: bool) -> bool:
    """Opt in or out; audited when it changes. Returns whether it changed."""
    if opted_out:
        _optout, changed = DirectoryOptOut.objects.get_or_create(user=user)
    else:
        changed = DirectoryOptOut.objects.filter(user=user).delete()[0] > 0
    if changed:
        record(
            actor=user,
            action="directory.opted_out" if opted_out else "directory.opted_in",
            target=user,
            details={"fields": list(settings.DIRECTORY_FIELDS)},
        )
    return bool(changed)


def sees_withheld_directory(viewer: Any) -> bool:
    """People who administer accounts see directory fields even after an opt-out."""
    return has_site_perm(viewer, "user.manage")


def with_opt_out(queryset: QuerySet[Any], user_field: str = "user") -> QuerySet[Any]:
    """Annotate each row with ``directory_opt_out`` (one EXISTS, no extra query)."""
    return queryset.annotate(
        directory_opt_out=Exists(DirectoryOptOut.objects.filter(user_id=OuterRef(user_field)))
    )


@dataclass(frozen=True)
class Listed:
    """How a learner appears in a listing: the directory fields, or "withheld"."""

    public_id: str
    full_name: str
    email: str
    withheld: bool

    @property
    def label(self) -> str:
        return self.full_name or self.email or gettext(WITHHELD)


def listed(user: Any, *, opted_out: bool, viewer_sees_all: bool) -> Listed:
    hide = opted_out and not viewer_sees_all
    fields = settings.DIRECTORY_FIELDS
    return Listed(
        public_id=user.public_id,
        full_name="" if hide and "full_name" in fields else user.full_name,
        email="" if hide and "email" in fields else user.email,
        withheld=hide,
    )
