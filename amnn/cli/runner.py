"""What every command-line program shares: one-line user errors and one-line interrupts.

Usage, in a program of `amnn.cli`:

    @cli_main
    def main(argv=None) -> int:
        args = build_parser().parse_args(argv)   # flags checked before TensorFlow loads
        on_interrupt(lambda: f"interrupted; {args.out} was not written")
        load_tensorflow(args.verbose)            # amnn.cli.tensorflow_loading: no start-up lines
        ...

Ctrl-C and SIGTERM (`kill`, `timeout`, a service manager) are a normal way to stop a
program: it ends with one line saying what was kept and how to go on, the line the program
gave `on_interrupt`, and exit status 130 (Ctrl-C) or 143 (SIGTERM). Both raise a
KeyboardInterrupt in the main thread, so the `finally` blocks that remove temporary files
run for SIGTERM as for Ctrl-C (`amnn.atomic_files`): no file is left half-written.

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
import logging
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from amnn.cli.tensorflow_loading import tensorflow_quiet
from amnn.errors import AMNNError

# What the running program says when it is interrupted (see on_interrupt).
_interrupt_line: Optional[Callable[[], str]] = None
_GENERIC_LINE = ("interrupted; every file is written whole or not at all, so nothing "
                 "half-written was left; run the same command again")


# The stop signals that reached the running program, oldest first (see _stop_signals).
_received: list[int] = []


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM, raised in the main thread; `signum` says which."""

    def __init__(self, signum: int = signal.SIGTERM):
        # "signal N", as amnn.features.encode_loop words its own SIGTERM interrupt.
        super().__init__(f"signal {int(signum)}")
        self.signum = int(signum)


def on_interrupt(line: Callable[[], str]) -> None:
    """Say `line()` (one line: what was kept, how to go on) if Ctrl-C or SIGTERM stops the
    running program; it is called then, so it can describe the state at that moment.

    Example:
        >>> on_interrupt(lambda: "interrupted; out.csv was not written")
    """
    global _interrupt_line
    _interrupt_line = line


def command_line(argv: Optional[Sequence[str]] = None, drop: Sequence[str] = (),
                 add: Sequence[str] = (), program: Optional[str] = None) -> str:
    """The command that runs this program (`program`, default `sys.argv[0]`) with `argv`
    (default `sys.argv[1:]`), as a user would type it again, without the flags in `drop`
    and with those in `add`.

    Example:
        >>> command_line(["--out", "my models/demo", "--overwrite"], ["--overwrite"],
        ...              ["--resume"], program="scripts/train.py")
        "python scripts/train.py --out 'my models/demo' --resume"
    """
    program = program or (sys.argv[0] if sys.argv and sys.argv[0] else "amnn")
    # A script is run with python; an installed entry point (amnn-train) by its name.
    shown = f"python {program}" if program.endswith(".py") else Path(program).name
    args = [a for a in (sys.argv[1:] if argv is None else argv) if a not in drop]
    return f"{shown} {shlex.join([str(a) for a in (*args, *add)])}".strip()


def _signal_number(interrupt: KeyboardInterrupt) -> int:
    """Which signal stopped the program: Interrupted's, "signal N"'s, else SIGINT."""
    number = getattr(interrupt, "signum", None)
    if number is None and str(interrupt).startswith("signal "):
        number = str(interrupt).split()[1]
    try:
        return int(number) if number is not None else int(signal.SIGINT)
    except ValueError:
        return int(signal.SIGINT)


def _raise_interrupted(signum, frame):
    _received.append(int(signum))
    raise Interrupted(signum)


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise Interrupted and are remembered, unless
    something else already handles them (the demo, a test runner).

    Remembered, because a library may swallow the KeyboardInterrupt: Keras' loss set-up has
    bare `except:` clauses, so a Ctrl-C while it traces the training step surfaces as a
    ValueError instead. The program still ends as interrupted.
    """
    _received.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    ours = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    taken = [number for number, usual in ours.items() if signal.getsignal(number) == usual]
    for number in taken:
        signal.signal(number, _raise_interrupted)
    hook, sys.unraisablehook = sys.unraisablehook, _interrupt_again(sys.unraisablehook)
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for number in taken:
            signal.signal(number, ours[number])


def _interrupt_again(hook):
    """An unraisablehook that gives a stop swallowed by a finalizer back to the program.

    Python runs a signal handler between any two bytecodes, also inside an object's
    `__del__` (TensorFlow's functions have one), where the exception cannot propagate:
    Python would print "Exception ignored in ..." with a traceback and go on. The signal is
    sent to the main thread again a moment later, once the finalizer is done, so the
    program stops where it can.
    """
    def unraisable(report):
        if not isinstance(report.exc_value, KeyboardInterrupt):
            return hook(report)
        again = threading.Timer(0.01, signal.pthread_kill, (threading.main_thread().ident,
                                                            _signal_number(report.exc_value)))
        again.daemon = True
        again.start()

    return unraisable


def _said_on_interrupt() -> str:
    try:
        line = _interrupt_line() if _interrupt_line is not None else _GENERIC_LINE
    except Exception:  # describing the state must never cost the user the one line
        line = _GENERIC_LINE
    return " ".join(str(line).split())


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
    Ctrl-C and SIGTERM end it with the program's `on_interrupt` line and status 130 or 143.

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
        status = _run(main, argv, options)
        if argv is None:  # the process's own program, not a call from Python
            _exit_on_late_interrupts(status)
        return status

    return wrapper


def _run(main: Callable[..., int], argv, options: dict) -> int:
    on_interrupt(lambda: _GENERIC_LINE)  # until the program says its own
    try:
        with _stop_signals():
            return main(argv, **options)
    except KeyboardInterrupt as interrupt:
        return _interrupted(_signal_number(interrupt))
    except (AMNNError, FileNotFoundError) as error:
        if _received:  # the stop came first; this error is what it left behind
            return _interrupted(_received[0])
        _last_line(f"error: {_one_line(error)}")
        return 2
    except BrokenPipeError:
        # `program | head` closed our output early: not an error worth a traceback.
        sys.stdout = open(os.devnull, "w")
        return 0
    except Exception:
        if not _received:
            raise  # a bug: its traceback is the report
        return _interrupted(_received[0])  # a library swallowed the KeyboardInterrupt


def _interrupted(signum: int) -> int:
    """Say the program's interrupt line; the exit status of a stop by `signum`."""
    _last_line(_said_on_interrupt())
    return 128 + signum


def _last_line(line: str) -> None:
    """Print the program's last line on stderr. Unless --verbose, TensorFlow's Python notes
    about the work it cut short (e.g. "Object was never used" when a stop lands while a
    function is traced) are silenced first: they would come after it, when Python exits."""
    if tensorflow_quiet():
        logging.getLogger("tensorflow").setLevel(logging.CRITICAL + 1)
    print(line, file=sys.stderr)


def _exit_on_late_interrupts(status: int) -> None:
    """After the program has said its last line, Ctrl-C or SIGTERM ends the process at once
    with its status, instead of a KeyboardInterrupt traceback from Python's shutdown (there
    is nothing left to keep). Once Python has shut down, TensorFlow's own teardown still
    dies by the signal, which a shell reports as the same 130 or 143."""
    if threading.current_thread() is not threading.main_thread():
        return

    def leave(signum, frame):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, leave)
