"""Imported first by every script: makes `import amnn` and `import config` work from any folder.

`python scripts/train.py` puts only scripts/ on sys.path, not the repository root that holds
the `amnn` package and `config.py`, so this module adds the root. It also quiets TensorFlow's
C++ start-up logging before TensorFlow is first imported (the user can still set
TF_CPP_MIN_LOG_LEVEL themselves to see it).

Usage, at the top of a script:

    import _bootstrap  # noqa: F401  (must come before any amnn or tensorflow import)
    from _bootstrap import cli_main

    @cli_main
    def main(argv=None) -> int:
        ...

Example:
    >>> @cli_main
    ... def main(argv=None):
    ...     raise FileNotFoundError(2, "No such file or directory", "posts.csv")
    >>> main()  # prints "error: posts.csv: No such file or directory" on stderr
    2
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _one_line(error: BaseException) -> str:
    """The error's message on one line; FileNotFoundError says which file."""
    if isinstance(error, FileNotFoundError) and error.filename is not None:
        message = f"{error.filename}: {error.strerror or 'not found'}"
    else:
        message = str(error) or type(error).__name__
    return " ".join(message.split())


def cli_main(main: Callable[..., int]) -> Callable[[Optional[Sequence[str]]], int]:
    """Wrap a script's `main(argv)` so that user errors end it with status 2 and one line.

    `amnn.errors.AMNNError` (bad data, flags, model folders) and `FileNotFoundError` (an
    input path that does not exist) are the user's to fix, so they get `error: <message>` on
    stderr and no traceback. Every other exception is a bug and keeps its traceback.
    Argparse errors already exit with status 2 on their own and pass through untouched.

    Example:
        >>> from amnn.errors import DataError
        >>> @cli_main
        ... def main(argv=None):
        ...     raise DataError("posts.csv", "no column 'hashtags'")
        >>> main([])  # stderr: error: posts.csv: no column 'hashtags'
        2
    """
    from amnn.errors import AMNNError  # after sys.path holds the repository root

    @functools.wraps(main)
    def wrapper(argv: Optional[Sequence[str]] = None) -> int:
        try:
            return main(argv)
        except (AMNNError, FileNotFoundError) as error:
            print(f"error: {_one_line(error)}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            # `script | head` closed our output early: not an error worth a traceback.
            sys.stdout = open(os.devnull, "w")
            return 0

    return wrapper
