"""Syllabus's settings plus the fault tests' job app (for the worker-kill test)."""

from syllabus.config.settings import *  # noqa: F403
from syllabus.config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.faults.jobapp"]
