"""Course role names in the reader's language.

Roles are rows in the database, so their names are stored text. The built-in course roles
keep their English names there (the seed, the API and the audit trail use them); pages and
messages show those names translated. A role an administrator created or renamed is shown
as it was written.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

# slug -> the built-in English name (marked for the catalogue, translated when shown).
BUILTIN_COURSE_ROLE_NAMES = {
    "learner": gettext_noop("Learner"),
    "teaching_assistant": gettext_noop("Teaching assistant"),
    "instructor": gettext_noop("Instructor"),
}


def role_name(role: Any) -> str:
    """``role.name`` in the active language when it is a built-in name left as shipped."""
    builtin = BUILTIN_COURSE_ROLE_NAMES.get(role.slug)
    if builtin is not None and role.name == builtin:
        return gettext(builtin)
    return str(role.name)
