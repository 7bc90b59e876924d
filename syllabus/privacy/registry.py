"""The personal data registry: for every model that holds data about a person, what an
export contains, what erasure does, and which retention category (seed 6.2) disposes of it.

Coverage by construction: a test lists every model (``django.apps``) with a foreign key or
one-to-one to the user model and fails for any without a declaration here, and for any
user foreign key a declaration leaves unexplained. Declarations come from three places:

* ``syllabus.privacy.defaults`` for the apps that existed before this registry;
* a ``personal_data.py`` module in any installed app, holding ``PERSONAL_DATA``: a list of
  plain dicts with the keyword arguments of :class:`PersonalData` (no import of this
  module needed, so lower apps keep their imports pointing down);
* :func:`register_personal_data`, callable from an app's ``AppConfig.ready``.

Erasure keeps the account row as a pseudonymous tombstone (its name, address and phone
removed), so rows kept by law still point to an id that no longer names anyone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet


class Erasure(StrEnum):
    DELETE = "delete"  # the rows go
    ANONYMISE = "anonymise"  # the rows stay, the listed fields are replaced
    KEEP = "keep"  # the rows stay (the law requires them), pointing to the tombstone


class Category(StrEnum):
    """The seed's data retention table (6.2)."""

    USER_PROFILES = "user_profiles"
    COURSE_PROGRESS = "course_progress"
    ASSESSMENT_RESULTS = "assessment_results"
    SYSTEM_LOGS = "system_logs"
    AUDIT_LOGS = "audit_logs"


# Categories whose clock is the person's last activity; the others count from each row's
# own date (``timestamp_field``).
ACTIVITY_CATEGORIES = (
    Category.USER_PROFILES,
    Category.COURSE_PROGRESS,
    Category.ASSESSMENT_RESULTS,
)


@dataclass(frozen=True)
class PersonalData:
    """How one model's rows about a person are exported, erased and retained.

    ``subject_fields``: foreign keys to the user naming the person the row is about.
    ``actor_fields``: foreign keys naming a person who did something (granted, graded,
    wrote): kept on erasure, since they then point to the pseudonymous tombstone.
    ``match``: rows about the person found otherwise (an id column, an email column).
    ``export``: fields in the export (None: every concrete field except ``secret``).
    ``anonymise``: field -> replacement, applied by ANONYMISE (and by KEEP, to remove
    what the kept record does not need). ``eraser``: replaces the generic erasure.
    ``category``: the retention category; None for rows that only name the person as an
    actor (a course they created): those are not theirs to dispose of.
    ``timestamp_field``: for system and audit logs, the date retention counts from;
    ``retention_q``: replaces that rule with a condition built from the run's time.
    ``anonymiser``: for course progress, what anonymisation keeps (counts) before the
    rows go.
    """

    model: str
    subject_fields: tuple[str, ...] = ()
    actor_fields: tuple[str, ...] = ()
    match: Callable[[Any], Q] | None = None
    export: tuple[str, ...] | None = None
    secret: tuple[str, ...] = ()
    erasure: Erasure = Erasure.DELETE
    anonymise: Mapping[str, Any] = field(default_factory=dict)
    eraser: Callable[[QuerySet[Any], Any], int] | None = None
    category: Category | None = Category.USER_PROFILES
    legal_basis: str = ""
    timestamp_field: str = ""
    retention_q: Callable[[datetime], Q] | None = None
    anonymiser: Callable[[QuerySet[Any]], None] | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.erasure == Erasure.KEEP and not self.legal_basis:
            raise ValueError(f"{self.model}: records kept on erasure need a legal_basis.")
        if self.erasure == Erasure.ANONYMISE and not (self.anonymise or self.eraser):
            raise ValueError(f"{self.model}: anonymisation needs the fields to replace.")
        if not (self.subject_fields or self.actor_fields or self.match):
            raise ValueError(f"{self.model}: say how rows about a person are found.")
        if self.category in (Category.SYSTEM_LOGS, Category.AUDIT_LOGS) and not (
            self.timestamp_field or self.retention_q
        ):
            raise ValueError(f"{self.model}: log categories need a timestamp_field.")

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def label(self) -> str:
        return self.model_class._meta.label

    def subject_q(self, user: Any) -> Q:
        """Rows about ``user`` (not rows where they only acted)."""
        q = Q(pk__in=[])
        for name in self.subject_fields:
            q |= Q(**{name: user.pk})
        if self.match is not None:
            q |= self.match(user)
        return q

    def actor_q(self, user: Any) -> Q:
        q = Q(pk__in=[])
        for name in self.actor_fields:
            q |= Q(**{name: user.pk})
        return q

    def rows_about(self, user: Any) -> QuerySet[Any]:
        return self.model_class._default_manager.filter(self.subject_q(user))

    def rows_for_export(self, user: Any) -> QuerySet[Any]:
        """Rows about the person; for declarations with no subject, the rows they wrote."""
        q = self.subject_q(user)
        if not (self.subject_fields or self.match):
            q = self.actor_q(user)
        return self.model_class._default_manager.filter(q).order_by("pk")

    def export_fields(self) -> list[models.Field[Any, Any]]:
        fields = [f for f in self.model_class._meta.concrete_fields if f.name not in self.secret]
        if self.export is None:
            return fields
        by_name = {f.name: f for f in fields}
        return [by_name[name] for name in self.export]

    def user_fields(self) -> set[str]:
        user_model = get_user_model()
        return {
            f.name
            for f in self.model_class._meta.concrete_fields
            if f.is_relation and f.related_model is user_model
        }


_REGISTRY: dict[str, PersonalData] = {}
_loaded = False


def register_personal_data(**declaration: Any) -> PersonalData:
    """Declare how one model's personal data is handled (see :class:`PersonalData`).

    Enum fields may be given as their string values ("delete", "system_logs"...). A model
    declared twice keeps the later declaration: an app can refine a default.
    """
    if isinstance(declaration.get("erasure"), str):
        declaration["erasure"] = Erasure(declaration["erasure"])
    if isinstance(declaration.get("category"), str):
        declaration["category"] = Category(declaration["category"])
    for key in ("subject_fields", "actor_fields", "secret"):
        if key in declaration:
            declaration[key] = tuple(declaration[key])
    if declaration.get("export") is not None:
        declaration["export"] = tuple(declaration["export"])
    entry = PersonalData(**declaration)
    _REGISTRY[apps.get_model(entry.model)._meta.label_lower] = entry
    return entry


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from syllabus.privacy import defaults

    def register_default(**declaration: Any) -> None:
        # A default for a model that an app has since removed is simply not needed; the
        # coverage test still catches every model with a user link left undeclared.
        with contextlib.suppress(LookupError):
            register_personal_data(**declaration)

    defaults.register_defaults(register_default)
    for config in apps.get_app_configs():
        module_name = f"{config.name}.personal_data"
        if find_spec(module_name) is None:
            continue
        for declaration in getattr(import_module(module_name), "PERSONAL_DATA", ()):
            register_personal_data(**dict(declaration))


def entries() -> list[PersonalData]:
    """Every declaration, in a stable order (the order of INSTALLED_APPS, then model)."""
    _load()
    order = {config.label: i for i, config in enumerate(apps.get_app_configs())}
    return sorted(
        _REGISTRY.values(),
        key=lambda e: (order.get(e.model_class._meta.app_label, 999), e.model_class.__name__),
    )


def entry_for(model: type[models.Model] | str) -> PersonalData | None:
    _load()
    label = model if isinstance(model, str) else model._meta.label_lower
    return _REGISTRY.get(label.lower())


def in_category(category: Category) -> list[PersonalData]:
    return [e for e in entries() if e.category == category]


def models_with_user_links() -> list[type[models.Model]]:
    """Every model with a foreign key or one-to-one to the user model (and the user model)."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model is user_model or any(
            f.is_relation and f.concrete and f.related_model is user_model
            for f in model._meta.get_fields()
        ):
            found.append(model)
    return found


def coverage_problems() -> list[str]:
    """What the registry leaves unexplained: each is a sentence naming a model."""
    problems = []
    for model in models_with_user_links():
        entry = entry_for(model)
        if entry is None:
            problems.append(
                f"{model._meta.label} has a link to the user model and no personal data "
                "declaration (see syllabus/privacy/registry.py)"
            )
            continue
        names = {f.name for f in model._meta.concrete_fields}
        declared = (
            set(entry.subject_fields)
            | set(entry.actor_fields)
            | set(entry.export or ())
            | set(entry.secret)
            | set(entry.anonymise)
            | ({entry.timestamp_field} - {""})
        )
        if declared - names:
            problems.append(
                f"{model._meta.label}: declared fields that do not exist: "
                f"{', '.join(sorted(declared - names))}"
            )
        unexplained = entry.user_fields() - set(entry.subject_fields) - set(entry.actor_fields)
        if unexplained:
            problems.append(
                f"{model._meta.label}: user fields in neither subject_fields nor "
                f"actor_fields: {', '.join(sorted(unexplained))}"
            )
    return problems
