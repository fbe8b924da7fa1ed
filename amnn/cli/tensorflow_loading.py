"""TensorFlow imported without its start-up lines, and the `--verbose` flag that shows them.

Every program of `amnn.cli` checks its flags first and then calls `load_tensorflow`, so a
mistyped flag is answered in a second, and the user sees AMNN's lines, not TensorFlow's.

Example:
    >>> load_tensorflow()  # once the flags are checked
    >>> import sys; "tensorflow" in sys.modules
    True
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

_state = {"quiet": False}  # load_tensorflow() ran without --verbose


def tensorflow_quiet() -> bool:
    """Whether `load_tensorflow` silenced TensorFlow (it ran, without `verbose`)."""
    return _state["quiet"]


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
    _state["quiet"] = True


def add_verbose_flag(parser) -> None:
    """Add `--verbose`: show TensorFlow's start-up and runtime messages."""
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and runtime messages")
