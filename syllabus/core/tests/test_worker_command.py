"""`syllabus worker`: its thread count and its CPU priority come from settings."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey

from tests.processes import syllabus_check


@pytest.fixture
def started(monkeypatch):
    """What the worker would run huey with, and the nice increments it asked for."""
    seen: dict = {"nice": []}
    monkeypatch.setattr(RunHuey, "handle", lambda self, *args, **options: seen.update(options))
    monkeypatch.setattr(
        "syllabus.core.management.commands.worker.os.nice",
        lambda increment: seen["nice"].append(increment) or 10 + increment,
    )
    return seen


def test_the_worker_lowers_its_cpu_priority_so_requests_come_first(settings, started):
    settings.JOBS_IMMEDIATE = False
    settings.JOBS_NICE = 10
    settings.JOBS_WORKERS = 3
    out = StringIO()
    call_command("worker", stdout=out)
    assert started["nice"] == [10]
    assert (started["workers"], started["worker_type"]) == (3, "thread")
    assert "CPU priority lowered by 10" in out.getvalue()


def test_a_nice_of_zero_leaves_the_priority_alone(settings, started):
    settings.JOBS_IMMEDIATE = False
    settings.JOBS_NICE = 0
    out = StringIO()
    call_command("worker", stdout=out)
    assert started["nice"] == []
    assert "priority" not in out.getvalue()


def test_no_worker_when_jobs_run_in_the_web_process(settings, started):
    settings.JOBS_IMMEDIATE = True
    with pytest.raises(CommandError, match="no worker is needed"):
        call_command("worker")
    assert started["nice"] == []


@pytest.mark.parametrize("value", ["-1", "20", "ten"])
def test_a_nice_out_of_range_stops_start_up_naming_the_variable(tmp_path, value):
    result = syllabus_check(tmp_path, SYLLABUS_JOBS_NICE=value)
    assert result.returncode == 1
    assert "SYLLABUS_JOBS_NICE" in result.stderr and "Traceback" not in result.stderr
