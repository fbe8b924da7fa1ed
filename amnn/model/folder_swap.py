"""A finished model folder replaces the old one by renames only; a swap a crash cut short is
finished by the next load or training.

Training writes into a hidden working folder beside `--out`, on the same file system
(`models/.demo.partial` for `models/demo`; it also holds the checkpoints for --resume), so
the old model stays complete and loadable until the new one is finished. Then:

    1. rename models/demo          -> models/.demo.old   (the swap is committed here)
    2. rename models/.demo.partial -> models/demo
    3. delete models/.demo.partial's checkpoints (now models/demo/training) and models/.demo.old

Ctrl-C and SIGTERM wait until these steps are done (`deferred_interrupts`), so only a crash
(SIGKILL, a power cut) can stop between them. `finish_interrupted_swap` then decides from
what is on disk: after step 1 the new model wins (it is complete: its manifest is written
before the swap starts); before step 1 nothing happened, the old model is `--out` and the
working folder waits for `train.py --resume`.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "demo").mkdir(); _ = (root / "demo" / MANIFEST).write_text("old")
    >>> work = working_folder(root / "demo"); work.mkdir()
    >>> _ = (work / MANIFEST).write_text("new")
    >>> replace_folder(work, root / "demo")
    >>> (root / "demo" / MANIFEST).read_text(), sorted(p.name for p in root.iterdir())
    ('new', ['demo'])
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from pathlib import Path
from typing import Iterator, Optional

from amnn.errors import AMNNError
from amnn.model import folder_names
from amnn.model.folder_names import MANIFEST, WORK_DIR

# Every name a model folder of this or an earlier AMNN may hold; anything else in `--out`
# is someone's file, which replacing the folder would delete.
_MODEL_NAMES = {value for name, value in vars(folder_names).items()
                if name.isupper() and isinstance(value, str)} \
    | {folder_names.MODEL_FILE + ".partial.keras"}  # an earlier AMNN's, left by a kill


def _sibling(out: os.PathLike, suffix: str) -> Path:
    out = Path(out)
    if out.name in ("", ".", ".."):  # `--out .`: name the folder itself
        out = Path(os.path.abspath(out))
    return out.parent / f".{out.name}.{suffix}"


def working_folder(out: os.PathLike) -> Path:
    """The hidden folder beside `out` where a training writes until its model is finished.

    Example:
        >>> working_folder("models/demo")
        PosixPath('models/.demo.partial')
    """
    return _sibling(out, "partial")


def aside_folder(out: os.PathLike) -> Path:
    """Where the old model waits while a finished one takes its place (`models/.demo.old`)."""
    return _sibling(out, "old")


def check_replaceable(out: os.PathLike) -> None:
    """Raise AMNNError when a new model folder in place of `out` would delete a user's files.

    `out` may be absent, empty, or hold a model folder's files (also an incomplete one);
    names starting with "." are temporary files of atomic writes.
    """
    out = Path(out)
    if out.is_symlink():
        raise AMNNError(f"--out {out} is a symbolic link; pass the folder it points to "
                        f"({os.path.realpath(out)}), which the new model then replaces")
    if not out.exists():
        return
    if not out.is_dir():
        raise AMNNError(f"--out {out} is a file; a model is a folder: choose another --out")
    foreign = sorted(p.name for p in out.iterdir()
                     if p.name not in _MODEL_NAMES and not p.name.startswith("."))
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise AMNNError(f"{out} holds files that are not part of a model folder ({shown}); "
                        "the new model replaces the whole folder, so choose another --out "
                        "or move them out")


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block is done, then deliver them as they came.

    Python runs signal handlers in the main thread only, so swapping its handlers (not
    `pthread_sigmask`, which TensorFlow's own threads would ignore) is what defers them.
    Elsewhere than the main thread the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    caught = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda n, frame: received.append(n))
                for number in caught}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        for number in dict.fromkeys(received):
            signal.raise_signal(number)


def adopt_old_layout(out: os.PathLike) -> bool:
    """Move an earlier AMNN's interrupted training (`out/training`, no manifest) to the
    working folder, where --resume continues it; whether there was one to move."""
    out = Path(out)
    work = working_folder(out)
    if work.exists() or (out / MANIFEST).is_file() or not (out / WORK_DIR).is_dir():
        return False
    os.rename(out, work)
    return True


@contextlib.contextmanager
def staged_folder(out: os.PathLike, resume: bool) -> Iterator[Path]:
    """The working folder to write the model folder `out` in; once the block has finished
    it (no exception), it replaces `out`.

    Args:
        out: path-like. The model folder the user asked for.
        resume: bool. Keep the working folder of an interrupted training (an earlier
            AMNN's `out/training` is adopted); else start a new one.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp()) / "demo"
        >>> with staged_folder(out, resume=False) as work:
        ...     work.mkdir(); _ = (work / MANIFEST).write_text("{}")
        >>> sorted(p.name for p in out.iterdir())
        ['amnn_model.json']
    """
    out = Path(out)
    work = working_folder(out)
    finish_interrupted_swap(out)
    check_replaceable(out)
    if resume:
        adopt_old_layout(out)
    else:
        shutil.rmtree(work, ignore_errors=True)
    yield work
    replace_folder(work, out)


def replace_folder(work: os.PathLike, out: os.PathLike) -> None:
    """Put the finished model folder `work` in place of `out` by renames; delete the old one.

    `work` must be complete (its manifest written): a crash after the first rename makes it
    the model (`finish_interrupted_swap`).
    """
    work, out = Path(work), Path(out)
    aside = aside_folder(out)
    try:
        check_replaceable(out)  # training may have taken hours: look again
    except AMNNError as error:
        raise AMNNError(f"{error}; the new model waits, complete, in {work}: then run "
                        "train.py again with --resume to put it in place") from None
    with deferred_interrupts():
        if aside.exists() and out.exists():  # left by a crash after an earlier step 2
            shutil.rmtree(aside)
        if out.exists():
            os.rename(out, aside)
        os.rename(work, out)
        _remove_leftovers(out)


def _remove_leftovers(out: Path) -> None:
    """After step 2: the finished training's checkpoints, then the old model."""
    if (out / MANIFEST).is_file():
        shutil.rmtree(out / WORK_DIR, ignore_errors=True)
    shutil.rmtree(aside_folder(out), ignore_errors=True)


def finish_interrupted_swap(out: os.PathLike) -> Optional[str]:
    """Finish (or undo) a swap a crash cut short; a note saying what was done, or None.

    Called before a model folder is loaded and before a training starts; it costs one
    `stat` when no swap was cut short.

    Example:
        >>> finish_interrupted_swap("models/never-trained") is None
        True
    """
    out = Path(out)
    aside, work = aside_folder(out), working_folder(out)
    if not aside.is_dir() or aside.is_symlink():
        return None
    with deferred_interrupts():
        if out.exists():  # steps 1 and 2 were done, the deletions were not
            _remove_leftovers(out)
            return None
        if (work / MANIFEST).is_file():  # step 1 was done: the new model is committed
            os.rename(work, out)
            _remove_leftovers(out)
            return (f"note: {out} was being replaced by a newly trained model when a crash "
                    "stopped it; the new model is now in place")
        os.rename(aside, out)  # no finished work to put in: the old model comes back
        return f"note: {out} was restored after a crash stopped its replacement"
