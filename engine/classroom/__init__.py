"""Assignments, reports and their verification, for teachers."""

DEFAULT_FILE = "class.db"
"""The class store `dualpower class` and `serve` use by default (here, so that registering their options
imports neither sqlite3 nor the store)."""
