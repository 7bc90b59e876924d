"""Coverage by construction: every model linked to a person has a declared policy."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from syllabus.privacy import registry
from syllabus.privacy.registry import Erasure, PersonalData
from syllabus.privacy.tests.people import MAKERS


def test_every_model_with_a_user_link_declares_its_personal_data():
    problems = registry.coverage_problems()
    assert problems == [], "\n".join(
        [
            "Declare these models' personal data (export, erasure, retention category) in "
            "their app's personal_data.py (PERSONAL_DATA = [...]) or with "
            "syllabus.privacy.registry.register_personal_data; see docs/privacy.md:",
            *problems,
        ]
    )


def test_every_declared_model_has_a_maker_for_the_export_and_erasure_tests():
    missing = [e.label for e in registry.entries() if e.label.lower() not in MAKERS]
    assert missing == [], f"add a maker to syllabus/privacy/tests/people.py for {missing}"


def test_the_check_names_a_model_that_is_not_declared(monkeypatch):
    user_model = get_user_model()
    label = user_model._meta.label_lower
    monkeypatch.delitem(registry._REGISTRY, label)
    assert any(p.startswith("accounts.User has a link") for p in registry.coverage_problems())


def test_the_check_names_an_unexplained_user_field(monkeypatch):
    entry = registry.entry_for("grades.Grade")
    assert entry is not None
    monkeypatch.setitem(
        registry._REGISTRY,
        "grades.grade",
        PersonalData(
            model="grades.Grade",
            subject_fields=("user",),
            erasure=Erasure.KEEP,
            legal_basis="x",
            category=registry.Category.ASSESSMENT_RESULTS,
        ),
    )
    problems = registry.coverage_problems()
    assert any("graded_by" in p and "overridden_by" in p for p in problems)


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"model": "grades.Grade", "subject_fields": ("user",), "erasure": "keep"}, "legal_basis"),
        ({"model": "grades.Grade", "subject_fields": ("user",), "erasure": "anonymise"}, "fields"),
        ({"model": "grades.Grade"}, "say how"),
        (
            {"model": "grades.Grade", "subject_fields": ("user",), "category": "system_logs"},
            "timestamp",
        ),
    ],
)
def test_incomplete_declarations_are_refused(declaration, message):
    with pytest.raises(ValueError, match=message):
        registry.register_personal_data(**declaration)


def test_an_app_can_declare_from_plain_dicts(monkeypatch):
    before = registry.entry_for("ops.FailedJob")
    try:
        entry = registry.register_personal_data(
            model="ops.FailedJob",
            actor_fields=["rerun_by"],
            export=["task_name"],
            erasure="keep",
            legal_basis="Operations record",
            category=None,
        )
        assert registry.entry_for("ops.FailedJob") is entry
        assert entry.erasure is Erasure.KEEP and entry.export == ("task_name",)
    finally:
        registry._REGISTRY["ops.failedjob"] = before
