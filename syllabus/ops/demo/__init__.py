"""Demo data for ``syllabus demo``: what the demo set contains (``content``), how it is
loaded and removed (``loader``), and the load-test generator behind ``--scale`` (``scale``).

Demo content is recognised by fixed slugs and email addresses, never by a flag on the
models: removing it touches nothing an administrator created.
"""
