"""Training checkpoints a kill cannot leave half-written: the backup for --resume and the
best epoch's weights.

Keras' `BackupAndRestore` and `ModelCheckpoint` write their .weights.h5 files in place, so a
kill during a write (SIGKILL, or SIGTERM turned into KeyboardInterrupt inside h5py) leaves
a truncated file that --resume cannot read, and the backup's epoch number is written after
its weights, so the two can disagree. Here each file is written to a temporary name and
renamed into place (`amnn.atomic_files.atomic_output`), and the backup's state names the
weights file it belongs to, so whatever a kill interrupts, the pair on disk agrees:

    training/backup/epoch-0004.weights.h5    weights and optimizer state after 4 epochs
    training/backup/training_metadata.json   {"epoch": 4, "weights": "epoch-0004...",
                                              "stopped": false}
    training/best.weights.h5                 the best epoch's weights so far

"stopped" is written when fit ends on its own (its last epoch, or early stopping): a run
killed after that, while it builds the memory or writes the folder, resumes with no epoch
to train. A backup written by Keras' `BackupAndRestore` (AMNN's earlier layout) is read too.
`check_resume` keeps a resumed run to the same settings (`training/run.json`) and cuts the
epoch log back to whole rows of the epochs the backup holds (`trim_log`).

Example (two epochs of a tiny model; `amnn.train.fitting` gives AMNN's fit these callbacks):
    >>> import tempfile
    >>> import numpy as np
    >>> work = Path(tempfile.mkdtemp())  # as a model's training/ folder
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> backup = EpochBackup(work / "backup")
    >>> best = BestWeights(work / "best.weights.h5", "loss", "min")
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[backup, best])
    >>> sorted(path.name for path in work.rglob("*.*"))
    ['best.weights.h5', 'epoch-0002.weights.h5', 'training_metadata.json']
    >>> read_backup(work / "backup")  # fit ended on its own: --resume trains no more epochs
    {'weights': 'epoch-0002.weights.h5', 'stopped': True, 'epoch': 2}
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import keras

from amnn.atomic_files import atomic_output
from amnn.errors import AMNNError
from amnn.jsonio import read_json, write_json
from amnn.model.folder_names import BACKUP_DIR, BACKUP_STATE, LOG_FILE

_KERAS_WEIGHTS = "latest.weights.h5"  # the file name Keras' BackupAndRestore uses


def read_backup(folder: Path) -> Optional[dict]:
    """The backup's state ({"epoch", "weights", "stopped"}), or None when there is none."""
    state = Path(folder) / BACKUP_STATE
    if not state.is_file():
        return None
    saved = read_json(state)
    return {"weights": _KERAS_WEIGHTS, "stopped": False, **saved}


def check_resume(work: Path, stamp: dict, resume: bool) -> None:
    """A resumed run must train the same model on the same vocabularies (`stamp` says which);
    `work` is the working folder's `training/`. Shared by the hashtag and caption trainings.
    """
    saved = work / "run.json"
    if resume and saved.is_file() and read_json(saved) != stamp:
        raise AMNNError(f"--resume: the data or settings differ from the interrupted run in "
                        f"{work.parent}; use the same flags and data, or --overwrite to restart")
    if resume:  # the log may hold a row cut by the kill, or epochs trained again now
        backup = read_backup(work / BACKUP_DIR)
        trim_log(work.parent / LOG_FILE, backup["epoch"] if backup else 0)
    work.mkdir(parents=True, exist_ok=True)
    write_json(saved, stamp)


def trim_log(path: Path, epochs: int) -> None:
    """Keep only the whole rows of the `epochs` a resumed run starts after in the epoch log.

    A kill can cut the log's last row (or its header) in half, and a resumed run appends
    to it: without this, its first row would be glued to the broken one. Rows of epochs
    the backup does not hold are dropped too, since the resumed run trains them again.
    """
    path = Path(path)
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if not lines or not lines[0].endswith("\n"):
        path.unlink()  # not even a whole header: the CSV logger writes a new one
        return
    kept = lines[:1] + [line for line in lines[1:]
                        if line.endswith("\n") and _epoch(line) < epochs]
    if kept != lines:
        with atomic_output(path) as temporary:
            temporary.write_text("".join(kept), encoding="utf-8")


def _epoch(row: str) -> float:
    """The epoch a log row is about (its first column); infinity for a broken row."""
    try:
        return int(row.split(",", 1)[0])
    except ValueError:
        return math.inf


class EpochBackup(keras.callbacks.Callback):
    """Save weights, optimizer state and epoch after every epoch; restore them when fit starts.

    Args:
        folder: Path. The backup's folder (`training/backup`); kept after training, so a
            run killed while it writes the model folder resumes there.
    """

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)
        self.saved: Optional[dict] = None

    def on_train_begin(self, logs=None):
        self.saved = read_backup(self.folder)
        if self.saved is None:
            return
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(self.folder / self.saved["weights"])
        # fit (and amnn.train.worker_loop) start at this epoch, as with BackupAndRestore.
        self.model._initial_epoch = self.params["epochs"] if self.saved["stopped"] \
            else self.saved["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        name = f"epoch-{epoch + 1:04d}.weights.h5"
        with atomic_output(self.folder / name, suffix=".weights.h5") as temporary:
            self.model.save_weights(temporary)
        self._write_state({"epoch": epoch + 1, "weights": name, "stopped": False})
        for old in self.folder.glob("*.weights.h5"):  # only now: the state names the new one
            if old.name != name:
                old.unlink()

    def on_train_end(self, logs=None):
        if self.saved is not None:  # (none: fit ran no epoch and nothing was restored)
            self._write_state({**self.saved, "stopped": True})

    def _write_state(self, state: dict) -> None:
        write_json(self.folder / BACKUP_STATE, state)
        self.saved = state


class BestWeights(keras.callbacks.Callback):
    """Keep the weights of the epoch whose `monitor` was best (`ModelCheckpoint`'s
    save_best_only), written atomically.

    Args:
        path: Path. The weights file (ends in .weights.h5).
        monitor: str. The logged metric, e.g. "val_loss".
        mode: str. "min" or "max".
        best: float or None. The best value logged before a resume; only a better epoch
            replaces the file.
    """

    def __init__(self, path: Path, monitor: str, mode: str, best: Optional[float] = None):
        super().__init__()
        self.path, self.monitor, self.mode, self.best = Path(path), monitor, mode, best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        value = float(value)
        if self.best is not None and not (value > self.best if self.mode == "max"
                                          else value < self.best):
            return
        self.best = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(self.path, suffix=".weights.h5") as temporary:
            self.model.save_weights(temporary)
