"""What every command-line program shares: one-line user errors and a quiet TensorFlow.

Usage, in a program of `amnn.cli`:

    @cli_main
    def main(argv=None) -> int:
        args = build_parser().parse_args(argv)   # flags checked before TensorFlow loads
        load_tensorflow(args.verbose)            # then TensorFlow, without its start-up lines
        ...

Example:
    >>> @cli_main
    ... def main(argv=None):
    ...     raise FileNotFoundError(2, "No such file or directory", "posts.csv")
    >>> main([])  # prints "error: posts.csv: No such file or directory" on stderr
    2
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from typing import Callable, Iterator, Optional, Sequence

from amnn.errors import AMNNError


def _one_line(error: BaseException) -> str:
    """The error's message on one line; FileNotFoundError says which file."""
    if isinstance(error, FileNotFoundError) and error.filename is not None:
        message = f"{error.filename}: {error.strerror or 'not found'}"
    else:
        message = str(error) or type(error).__name__
    return " ".join(message.split())


def cli_main(main: Callable[..., int]) -> Callable[[Optional[Sequence[str]]], int]:
    """Wrap a program's `main(argv)` so that user errors end it with status 2 and one line.

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

    @functools.wraps(main)
    def wrapper(argv: Optional[Sequence[str]] = None, **options) -> int:
        try:
            return main(argv, **options)
        except (AMNNError, FileNotFoundError) as error:
            print(f"error: {_one_line(error)}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            # `program | head` closed our output early: not an error worth a traceback.
            sys.stdout = open(os.devnull, "w")
            return 0

    return wrapper


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block, C++ writers included."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow; unless `verbose`, without the lines it prints while it starts.

    TensorFlow's C++ runtime writes its start-up notes (oneDNN, CUDA stubs, absl) straight
    to file descriptor 2 while it is imported, before any Python setting can reach them
    (TF_CPP_MIN_LOG_LEVEL=3 does not silence them all), so the import runs with that
    descriptor pointed at /dev/null. Python errors still surface: the descriptor is back
    before an exception propagates. Later messages, C++ (unless the user set
    TF_CPP_MIN_LOG_LEVEL) and Python (absl, tf.function retracing), stay at ERROR and above.
    A second call, or TensorFlow already loaded, does nothing.

    Example:
        >>> load_tensorflow()
        >>> "tensorflow" in sys.modules
        True
    """
    if "tensorflow" in sys.modules:
        return
    if verbose:
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with _stderr_silenced():
            import tensorflow  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{error} (run with --verbose to see TensorFlow's own messages)") \
            from error
    import absl.logging  # installed with TensorFlow
    import tensorflow as tf

    absl.logging.set_verbosity(absl.logging.ERROR)
    tf.get_logger().setLevel("ERROR")  # Python-side notes such as tf.function retracing


def add_verbose_flag(parser) -> None:
    """Add `--verbose`: show TensorFlow's start-up and runtime messages."""
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and runtime messages")
