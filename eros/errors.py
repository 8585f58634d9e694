"""Exceptions the CLI turns into one-line messages and exit codes."""

from __future__ import annotations


class ErosUsageError(Exception):
    """Bad input or environment the user must fix (exit code 2, one line, no traceback).

    Examples: a --date that is not a calendar date, an unknown --target, a missing
    source table.
    """


class ErosRunError(Exception):
    """A job could not run to the point of recording its result (exit code 2)."""
