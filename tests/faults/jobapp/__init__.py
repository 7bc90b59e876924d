"""A Django app holding a job for the worker-kill fault test (see settings_jobs.py)."""
