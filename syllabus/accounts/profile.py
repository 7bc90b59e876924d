"""The user's own profile: their name, and their (encrypted) personal details."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts.models import PersonalDetails, User
from syllabus.accounts.permissions import has_site_perm
from syllabus.audit.services import record
from syllabus.core.fields import BlindIndexField


@transaction.atomic
def profile_update(*, actor: User, user: User, full_name: str) -> User:
    """Change a user's own name; audited as ``user.updated`` with before and after."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("People change their own profile only."))
    full_name = " ".join(full_name.split())
    if len(full_name) > 200:
        raise ValidationError({"full_name": _("Use at most 200 characters.")})
    if full_name != user.full_name:
        before = user.full_name
        user.full_name = full_name
        user.save(update_fields=["full_name", "updated_at"])
        record(
            actor=actor,
            action="user.updated",
            target=user,
            details={"field": "full_name", "before": before, "after": full_name},
        )
    return user


# --- Personal details (encrypted: see docs/encryption.md) -------------------------------------

PERSONAL_FIELDS = (
    "date_of_birth",
    "postal_address",
    "id_number",
    "accommodation_notes",
    "medical_notes",
)
_OLDEST_BIRTH = datetime.date(1900, 1, 1)


def personal_details_of(user: User) -> PersonalDetails:
    """The user's details, or an unsaved empty record (nothing is stored until they save)."""
    try:
        return PersonalDetails.objects.get(user=user)
    except PersonalDetails.DoesNotExist:
        return PersonalDetails(user=user)


def can_view_personal_details(viewer: User, person: User) -> bool:
    """The person themself, and holders of ``user.manage``."""
    return viewer.pk == person.pk or has_site_perm(viewer, "user.manage")


@transaction.atomic
def personal_details_update(*, actor: User, user: User, values: dict[str, Any]) -> PersonalDetails:
    """Rectification by the person: only they change their own details.

    Audited as ``personal_details.updated`` with the names of the fields that changed and
    never their values (the audit trail is not encrypted).
    """
    if actor.pk != user.pk:
        raise PermissionDenied(_("People change their own personal details only."))
    unknown = set(values) - set(PERSONAL_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    details = personal_details_of(user)
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, str):  # multi-line texts keep their lines; one-liners collapse
            multiline = name.endswith("_notes") or name == "postal_address"
            value = value.strip() if multiline else " ".join(value.split())
        cleaned[name] = value
    birth = cleaned.get("date_of_birth")
    if birth is not None and not (_OLDEST_BIRTH <= birth <= timezone.localdate()):
        raise ValidationError({"date_of_birth": _("Enter a date between 1900 and today.")})
    changed = [name for name, value in cleaned.items() if getattr(details, name) != value]
    if not changed:
        return details
    for name in changed:
        setattr(details, name, cleaned[name])
    details.full_clean(exclude=["user"])
    details.save()
    record(
        actor=actor,
        action="personal_details.updated",
        target=user,
        details={"fields": sorted(changed)},
    )
    return details


def personal_details_reveal(*, viewer: User, person: User) -> PersonalDetails:
    """Someone's details for the person or a ``user.manage`` holder.

    Audited as ``personal_details.viewed`` when someone else opens existing details.
    """
    if not can_view_personal_details(viewer, person):
        raise PermissionDenied(_("Only the person and user managers see personal details."))
    details = personal_details_of(person)
    if viewer.pk != person.pk and not details._state.adding:  # only what exists is shown
        record(actor=viewer, action="personal_details.viewed", target=person)
    return details


def personal_details_matching_id(id_number: str) -> QuerySet[PersonalDetails]:
    """Details whose id number equals ``id_number`` (ignoring case, spaces and dashes)."""
    index = PersonalDetails._meta.get_field("id_number_index")
    assert isinstance(index, BlindIndexField)
    return PersonalDetails.objects.filter(index.lookup(id_number))


# --- Language ----------------------------------------------------------------------------------


@transaction.atomic
def language_update(*, actor: User, user: User, language: str) -> User:
    """Remember the language a person chose (blank: the browser's, else the site default).

    Pages follow it from their next request on (``middleware.UserLanguageMiddleware``) and
    emails sent to them by jobs use it; audited as ``user.updated``.
    """
    if actor.pk != user.pk:
        raise PermissionDenied(_("People change their own language only."))
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if language != user.language:
        before = user.language
        user.language = language
        user.save(update_fields=["language", "updated_at"])
        record(
            actor=actor,
            action="user.updated",
            target=user,
            details={"field": "language", "before": before, "after": language},
        )
    return user
