"""The one exception family raised where data enters runeco."""

from __future__ import annotations


class DataError(ValueError):
    """A file-level problem with input data: missing file or column, unreadable
    encoding, invalid runner id, a device file that cannot be decoded.

    The message says what was found, where (file, line, column), what was
    expected and what to do. Row-level problems are never raised: they go to
    the quarantine table instead.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ):
        self.file = file
        self.line = line
        self.column = column
        where = []
        if file is not None:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        prefix = (
            (where[0] + (" " + ", ".join(where[1:]) if len(where) > 1 else "")) if where else ""
        )
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.detail = message
