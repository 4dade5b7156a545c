"""Assignments, reports and their verification, for teachers."""
