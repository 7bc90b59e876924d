"""bench/pages.py (what each benchmark page costs in-process): it requests every page as
the scenario data's people, reports CPU and queries per page, and stops loudly on a page
that does not answer 200."""

from __future__ import annotations

import pytest

from bench import pages
from bench.scenario_data import collect
from syllabus.assessments.tests.attempt_factories import enrol, make_course
from syllabus.courses.models import Lesson, Module
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data() -> dict:
    course = make_course()
    module = Module.objects.create(course=course, title="Reading", is_published=True)
    Lesson.objects.create(course=course, module=module, title="Read me", is_published=True)
    enrol(UserFactory(), course)
    enrol(UserFactory(), course, role="instructor")
    return collect(learners_limit=10)


def test_every_page_is_measured_with_its_queries(data, capsys):
    bench = pages.Bench(data, people=2)
    pages.measure(bench, list(pages.PAGES), rounds=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["page", "CPU", "p50", "CPU", "p90", "wall", "p50", "queries"]
    rows = {line[:18].strip(): line[18:].split() for line in out[1:]}
    assert set(rows) == set(pages.PAGES)
    for page, (cpu, *_) in rows.items():
        assert float(cpu.removesuffix("ms")) > 0, page
    assert float(rows["lesson"][3]) > 0  # a signed-in page reads the database
    assert float(rows["home"][3]) == 0  # the visitor's home page does not


def test_a_page_that_does_not_answer_200_stops_the_run(data, monkeypatch):
    bench = pages.Bench(data, people=1)
    monkeypatch.setitem(pages.PAGES, "lesson", ("learner", "/learn/les_none/"))
    with pytest.raises(SystemExit, match="lesson: /learn/les_none/ answered 404"):
        bench.request("lesson", 0)


def test_the_profile_lists_the_functions(data, capsys):
    pages.profile(pages.Bench(data, people=1), "lesson", rounds=2, top=5)
    assert "function calls" in capsys.readouterr().out
