"""Permission-matrix rows by product area; see tests/permissions/matrix.py."""
