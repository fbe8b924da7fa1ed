"""Errors a user can cause and fix, each with a message that says what to do.

Scripts catch `AMNNError` at the top level and print its message on one line of stderr,
without a traceback, then exit with status 2.

Example:
    >>> raise DataError("posts.csv", "no column 'tweets'", row=None, column="tweets")
    Traceback (most recent call last):
    ...
    amnn.errors.DataError: posts.csv, column 'tweets': no column 'tweets'
"""

from __future__ import annotations

from typing import Optional


class AMNNError(Exception):
    """Base class of every error caused by user input, files or flags."""


class DataError(AMNNError):
    """A problem in a user's CSV or image files, located by file, row and column.

    Args:
        path: str. The file the problem is in.
        message: str. What is wrong and what to do about it.
        row: int or None. The 1-based line number in the file (the header is line 1).
        column: str or None. The column name.
    """

    def __init__(self, path: str, message: str, row: Optional[int] = None,
                 column: Optional[str] = None) -> None:
        self.path, self.row, self.column, self.message = str(path), row, column, message
        where = self.path
        if row is not None:
            where += f", line {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class ModelFolderError(AMNNError):
    """A model folder that is missing, incomplete or from an incompatible version."""


class EncoderError(AMNNError):
    """An image encoder that cannot be built (unknown name, weights unavailable)."""


class OutputExistsError(AMNNError):
    """An output file that exists, or that another run wrote first, and --overwrite was not
    given: the file there is kept (see `amnn.atomic_files.publish`)."""


class OutputWriteError(AMNNError):
    """An output file that cannot be written (a full disk, a read-only folder); the old file,
    if any, is kept."""
