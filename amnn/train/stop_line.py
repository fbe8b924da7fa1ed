"""What train.py says when Ctrl-C or SIGTERM stops it: the epoch reached, what was kept,
and the command that goes on.

The line is made when the stop comes, from what is on disk: the working folder beside
`--out` and its backup (`amnn.model.folder_swap`, `amnn.train.checkpoints`), and whether
`--out` still holds the model it held when the run started. No TensorFlow is needed, so
a stop while TensorFlow loads is described too. `amnn.cli.runner.on_interrupt` prints it.

Example:
    >>> line = stop_line(Path("models/new"), "30", again="python scripts/train.py ...",
    ...                  resume="python scripts/train.py ... --resume")
    >>> line()  # nothing started yet
    'interrupted before training began (...); models/new was not written; run the same command again: python scripts/train.py ...'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from amnn.errors import AMNNError
from amnn.jsonio import read_json
from amnn.model.folder_names import BACKUP_DIR, BACKUP_STATE, MANIFEST, WORK_DIR
from amnn.model.folder_swap import working_folder


def _manifest_identity(out: Path):
    """Which file `out`'s manifest is (inode, mtime), or None: a new model changes it."""
    try:
        found = os.stat(out / MANIFEST)
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns


def stop_line(out: Path, epochs: str, again: str, resume: str) -> Callable[[], str]:
    """The line of a training of `out` stopped now, as a function to call when it stops.

    Args:
        out: Path. The model folder the run writes (--out).
        epochs: str. How many epochs it trains: "30", or "at most 200".
        again: str. The command as it was run.
        resume: str. The command that continues it (--resume).
    """
    work, before = working_folder(out), _manifest_identity(out)

    def line() -> str:
        if _manifest_identity(out) not in (before, None):  # held until the swap was done
            return f"interrupted after training; the new model is in {out}"
        kept = f"{out} is unchanged" if before is not None else f"{out} was not written"
        if (work / MANIFEST).is_file():
            return (f"interrupted while the new model was put in place; {kept}; finish with: "
                    f"{resume}")
        if not work.is_dir():
            return (f"interrupted before training began (photos already encoded stay in the "
                    f"cache); {kept}; run the same command again: {again}")
        try:
            state = read_json(work / WORK_DIR / BACKUP_DIR / BACKUP_STATE)
        except AMNNError:  # no epoch finished yet
            state = {"epoch": 0}
        done = int(state.get("epoch", 0))
        if state.get("stopped"):
            where = f"after its {done} epochs, while the model was written (kept in {work})"
        else:
            where = f"at epoch {done + 1} of {epochs} ({done} finished, kept in {work})"
        return f"interrupted {where}; {kept}; continue with: {resume}"

    return line
