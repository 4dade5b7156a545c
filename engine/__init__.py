"""Dual Power: an interactive-fiction engine for branching YAML stories, and the tools to write and teach with it."""

__version__ = "0.1.0"
