"""Syllabus: an open-source learning management system."""

__version__ = "0.1.0"
