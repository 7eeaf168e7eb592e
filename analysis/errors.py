"""Errors the user can act on.

Every error raised because of bad input (a file, a column, a parameter) is an
:class:`InputError`. The command line prints its message and exits with status
2; library callers can catch it.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user: a file, a row, a column or a parameter.

    The message says what was wrong, where (file, row as a user counts it in
    the CSV, column) and what was expected.
    """


def located(message: str, *, file: str | None = None, row: int | None = None,
            column: str | None = None) -> str:
    """Prefix *message* with 'file, row N, column C: ' for the parts given."""
    where = []
    if file is not None:
        where.append(str(file))
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column {column!r}")
    return (", ".join(where) + ": " + message) if where else message
