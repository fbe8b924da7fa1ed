"""Train a model folder the way `scripts/train.py --data TRAIN --out FOLDER` does.

Without --val, train.py holds out a seeded split of the training posts by photo
(`val_fraction`) for early stopping, and those posts still teach the neighbour memory
(`validation_in_memory`). These are those steps once, for every benchmark that scores
"AMNN as a user trains it": the quality family (runs, tune_runs, mix_rules, completion)
and the captions benchmark. Training takes minutes, so the use is shown, not run:

    summary = train_as_train_py(AMNNConfig(), read_posts("dataset"), Path("runs/m"))
    summary["epochs_run"]  # the epochs early stopping let it run
    load_model_folder(Path("runs/m"))  # the very folder train.py would have written
"""

from __future__ import annotations

import shutil
from pathlib import Path

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.data.splits import split_by_image
from amnn.train.caption_training import prepare_captions, train_caption_model
from amnn.train.fitting import train_model
from amnn.train.preparation import prepare


def train_as_train_py(config: AMNNConfig, train: Posts, folder: Path) -> dict:
    """Train on `train` (with hashtags) into `folder` (replaced); train_model's summary."""
    fit_rows, stop_rows = split_by_image(train, config.val_fraction, config.seed)
    data = prepare(config, train.select(fit_rows), train.select(stop_rows), progress=False)
    shutil.rmtree(folder, ignore_errors=True)
    return train_model(data, folder, verbose=0, validation_in_memory=True)


def train_caption_as_train_py(config: AMNNConfig, train: Posts, folder: Path) -> dict:
    """`scripts/train.py --task caption --data TRAIN --out FOLDER`: the same split by photo
    for early stopping, then the caption training; its summary."""
    fit_rows, stop_rows = split_by_image(train, config.val_fraction, config.seed)
    data = prepare_captions(config, train.select(fit_rows), train.select(stop_rows),
                            progress=False)
    shutil.rmtree(folder, ignore_errors=True)
    return train_caption_model(data, folder, verbose=0)
