"""Exceptions the CLI turns into one-line messages and exit codes."""

from __future__ import annotations


class ErosUsageError(Exception):
    """Bad input or environment the user must fix (exit code 2, one line, no traceback).

    Examples: a --date that is not a calendar date, an unknown --target, a missing
    source table.
    """


class ErosRunError(Exception):
    """A job could not run to the point of recording its result (exit code 2)."""


def file_problem(exc: BaseException, path: object | None = None) -> str:
    """Cause and fix of a file that could not be read or written, in one line:
    ``/etc/eros/alerts.yml: permission denied: make it readable by this user (chmod, chown)``.

    Args:
        exc: the OSError (or a YAML / JSON parse error) raised for the file.
        path: the file (default: the exception's filename).
    """
    name = path if path is not None else getattr(exc, "filename", None)
    where = f"{name}: " if name else ""
    if isinstance(exc, PermissionError):
        return f"{where}permission denied: give this user access (chmod / chown) or choose another path"
    if isinstance(exc, IsADirectoryError):
        return f"{where}is a folder: give a file path"
    if isinstance(exc, FileExistsError):
        return f"{where}exists and is not a folder: fix the path"
    if isinstance(exc, NotADirectoryError):
        return f"{where}a part of the path is a file, not a folder: fix the path"
    if isinstance(exc, FileNotFoundError):
        return f"{where}no such file or folder: check the path (or create its folder)"
    if isinstance(exc, OSError):
        return f"{where}{exc.strerror or type(exc).__name__}: check the path and the disk"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{where}not valid ({first}): fix the file's syntax"
