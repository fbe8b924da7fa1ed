"""Training AMNN: Adam, masked loss, checkpoints, early stopping, resume, curves, memory.

`train_model` fits a prepared data set and writes a complete model folder. It writes into
a working folder beside it (`models/.demo.partial` for `models/demo`, see
`amnn.model.folder_swap`), so an older model there stays complete and loadable until the
new one replaces it by renames at the very end. The working folder's `training/` holds
the checkpoints (`amnn.train.checkpoints`: weights, optimizer state and epoch, plus the
best weights so far), so `--resume` continues an interrupted run where it stopped. With
validation posts, the epoch kept is the one whose recommendations ranked best
(`amnn.train.ranking_stop`). After training, the network encodes every training post once
more for the neighbour memory (`amnn.model.neighbours`), and the mix of network and memory
that prediction uses is chosen on the validation posts (`amnn.train.mix_choice`).

With a tf.distribute strategy (`amnn.train.distribution.make_strategy`) the model is built in its
scope and `config.batch_size` is per replica; Keras splits each global batch across replicas.
On two or more machines (MultiWorkerMirroredStrategy), where Keras cannot fit, the same model,
loss, optimizer and callbacks run in `amnn.train.worker_loop` instead, and only the chief
writes the model folder.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from amnn.data.vocabulary import PAD
from amnn.errors import AMNNError
from amnn.inputs.pipeline import make_dataset
from amnn.model.folder import TrainedAMNN, save_model_folder
from amnn.model.folder_names import BACKUP_DIR, BEST_WEIGHTS, CURVES_FILE, LOG_FILE, WORK_DIR
from amnn.model.folder_swap import staged_folder
from amnn.model.losses import make_tag_loss
from amnn.model.network import AMNNNetwork, build_amnn
from amnn.train.checkpoints import BestWeights, EpochBackup, check_resume
from amnn.train.curves import plot_training_curves
from amnn.train.distribution import global_batch_size, strategy_name
from amnn.train.epoch_log import EpochLine
from amnn.train.memory_building import remember_and_choose
from amnn.train.preparation import PreparedData
from amnn.train.ranking_stop import RANKING_METRIC, ValidationRanking
from amnn.train.worker_loop import is_chief, train_on_workers, uses_worker_loop, worker_folder


@keras.saving.register_keras_serializable(package="amnn")
class MaskedTagAccuracy(keras.metrics.Metric):
    """Share of decoder steps whose most likely tag is the true next tag, padding ignored.

    Example:
        >>> m = MaskedTagAccuracy()
        >>> m.update_state(np.array([[5, 2, 0]]), np.eye(6)[[[5, 3, 1]]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "tag_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = keras.ops.cast(y_true, "int32")
        real = keras.ops.cast(keras.ops.not_equal(y_true, PAD), "float32")
        hits = keras.ops.cast(keras.ops.equal(
            keras.ops.cast(keras.ops.argmax(y_pred, axis=-1), "int32"), y_true), "float32")
        self.correct.assign_add(keras.ops.sum(hits * real))
        self.total.assign_add(keras.ops.sum(real))

    def result(self):
        return keras.ops.divide_no_nan(self.correct, self.total)


def compile_model(model: keras.Model, learning_rate: float,
                  tag_loss: str = "next") -> keras.Model:
    """Adam with gradient clipping; a decoder loss that ignores padded steps."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=5.0),
                  loss=make_tag_loss(tag_loss), metrics=[MaskedTagAccuracy()])
    return model


def best_logged(log_path: Path, column: str = "val_loss", mode: str = "min"):
    """The best value of `column` logged so far (keeps the best checkpoint honest on resume)."""
    if not log_path.is_file() or log_path.stat().st_size == 0:
        return None
    log = pd.read_csv(log_path)
    values = log[column].dropna() if column in log else []
    if not len(values):
        return None
    return float(values.max() if mode == "max" else values.min())


def logged_epochs(log_path: Path) -> int:
    """How many epochs the log holds: this run's and, after --resume, the earlier ones'."""
    if not log_path.is_file() or log_path.stat().st_size == 0:
        return 0
    return len(pd.read_csv(log_path))


def _monitored(data: PreparedData) -> tuple[str, str]:
    """(metric, mode) that early stopping, the best checkpoint and the rate schedule watch."""
    # Without validation posts (--val-fraction 0) the training loss is all there is to watch.
    if not len(data.val):
        return "loss", "min"
    return (RANKING_METRIC, "max") if data.config.stop_on == "ranking" else ("val_loss", "min")


def _callbacks(out: Path, data: PreparedData, resume: bool) -> list:
    monitor, mode = _monitored(data)
    ranking = [ValidationRanking(data.config, data.val, data.features, len(data.vocab))] \
        if len(data.val) else []
    # The ranking first: the callbacks after it read its score.
    return ranking + standard_callbacks(out, data.config, monitor, mode, resume)


def standard_callbacks(out: Path, config, monitor: str, mode: str, resume: bool) -> list:
    """Backup for --resume, best checkpoint, early stopping, rate schedule, log, NaN stop.

    Shared by the hashtag and the caption trainings: `monitor` is the logged metric they
    watch, `mode` "min" or "max".
    """
    work = out / WORK_DIR
    return [
        EpochBackup(work / BACKUP_DIR),
        BestWeights(work / BEST_WEIGHTS, monitor, mode,
                    best_logged(out / LOG_FILE, monitor, mode) if resume else None),
        keras.callbacks.EarlyStopping(monitor=monitor, mode=mode,
                                      patience=config.early_stopping_patience),
        keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=0.5,
                                          patience=config.reduce_lr_patience, min_lr=1e-5),
        keras.callbacks.CSVLogger(str(out / LOG_FILE), append=resume),
        keras.callbacks.TerminateOnNaN(),
    ]


def _check_resume(work: Path, data: PreparedData, resume: bool) -> None:
    check_resume(work, {"config": data.config.to_dict(),
                        "tag_vocab_size": data.sizes.tag_vocab_size,
                        "word_vocab_size": data.sizes.word_vocab_size}, resume)


def fit_keeping_best(model: keras.Model, train_ds, val_ds, callbacks: list, epochs: int,
                     verbose, out: Path):
    """`model.fit`, then the best checkpoint's weights; (history, seconds).

    Shared by the hashtag and the caption trainings. A diverged run raises AMNNError.
    """
    if uses_worker_loop(model.distribute_strategy):  # fit fails there: refuse it clearly
        raise AMNNError(f"Keras {keras.__version__} cannot fit on several machines "
                        "(keras-team/keras#20585) and only the hashtag model has its own "
                        "multi-worker loop; train this one on one machine (--strategy mirrored)")
    if verbose == 2:  # Keras's own verbose=2 prints two lines an epoch; a log wants one
        callbacks = callbacks + [EpochLine(epochs)]
    started = time.perf_counter()
    # shuffle=False: the tf.data pipeline already reshuffles every epoch.
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs,
                        verbose=0 if verbose == 2 else verbose, shuffle=False,
                        callbacks=callbacks)
    seconds = time.perf_counter() - started
    keep_best(model, history, out)
    return history, seconds


def keep_best(model: keras.Model, history, out: Path) -> None:
    """After training: raise AMNNError if it diverged, else load the best checkpoint."""
    if any(not np.isfinite(v) for v in history.history.get("loss", [])):
        raise AMNNError("training diverged (loss became NaN); lower --learning-rate")
    best = out / WORK_DIR / BEST_WEIGHTS
    if best.is_file():
        model.load_weights(best)  # keep the epoch that was best on validation, not the last


def train_model(data: PreparedData, out: Path, resume: bool = False,
                verbose: str | int = "auto", strategy=None,
                validation_in_memory: bool = False) -> dict:
    """Train on prepared data and write the model folder `out`; returns a summary dict.

    Args:
        data: PreparedData. Posts, vocabularies and config (`batch_size` is per replica).
        out: Path. The model folder to write; a model already there stays until the new
            one replaces it, complete, at the end.
        resume: bool. Continue the interrupted training of `out` (its working folder);
            False starts a new one.
        verbose: 0 (silent), 1 (a progress bar, for a terminal) or 2 (one line per epoch,
            for a log); "auto" is 1.
        strategy: tf.distribute.Strategy or None (no scope: Keras' default placement).
        validation_in_memory: bool. The validation posts are the user's own training posts
            held out for early stopping (no --val): after training, the neighbour memory
            keeps them too. A separate validation set never enters the memory.

    Example:
        >>> from amnn.train.distribution import make_strategy
        >>> summary = train_model(data, "models/m", strategy=make_strategy("mirrored"))
        ... # doctest: +SKIP
        >>> summary["replicas"], summary["strategy"]  # doctest: +SKIP
        (2, 'mirrored')
    """
    # No strategy: TensorFlow's default one (one replica, a scope that changes nothing).
    active = strategy if strategy is not None else tf.distribute.get_strategy()
    with output_folder(active, Path(out), resume) as folder:
        return _train_into(data, folder, resume, verbose, strategy, active,
                           validation_in_memory)


def output_folder(strategy, out: Path, resume: bool) -> contextlib.AbstractContextManager:
    """Where this process writes the model folder `out` (a context manager of its path).

    The chief writes a working folder beside `out` that replaces `out` once the block has
    finished it (`amnn.model.folder_swap.staged_folder`); another worker of a multi-worker
    cluster writes the same files to a temporary folder that is then removed. Shared by
    the hashtag and the caption trainings.
    """
    return staged_folder(out, resume) if is_chief(strategy) else worker_folder(strategy, out)


def _train_into(data: PreparedData, out: Path, resume: bool, verbose, strategy, active,
                validation_in_memory: bool) -> dict:
    config = data.config
    keras.utils.set_random_seed(config.seed)
    _check_resume(out / WORK_DIR, data, resume)
    batch = global_batch_size(config.batch_size, active)
    # Variables made in the scope are mirrored on every replica, and the model remembers the
    # strategy, so fit, evaluate and the callbacks' saving all run distributed.
    # Each distinct photo of a batch is projected once, unless fit splits every batch
    # between replicas: each slice must then carry its own posts' photos.
    index = uses_worker_loop(active) or active.num_replicas_in_sync == 1
    with active.scope():
        model = compile_model(build_amnn(config, data.sizes, photo_index=index),
                              config.learning_rate, config.tag_loss)
    val_ds = make_dataset(data.val, data.features, batch, photo_index=index) \
        if len(data.val) else None
    callbacks, epochs = _callbacks(out, data, resume), config.epochs or config.max_epochs
    if uses_worker_loop(active):  # several machines: Keras cannot fit (keras#20585)
        history, seconds = train_on_workers(
            model, active, lambda size: make_dataset(data.train, data.features, size,
                                                     shuffle=True, seed=config.seed),
            config.batch_size, val_ds, callbacks, epochs, verbose)
        keep_best(model, history, out)
    else:  # global batches: fit splits each one across the replicas (posts cut, not copied)
        train_ds = make_dataset(data.train, data.features, batch, shuffle=True,
                                seed=config.seed, photo_index=index)
        history, seconds = fit_keeping_best(model, train_ds, val_ds, callbacks, epochs,
                                            verbose, out)
    summary = {"epochs_run": len(history.history.get("loss", [])),
               "epochs_logged": logged_epochs(out / LOG_FILE),
               "best_val_ranking": best_logged(out / LOG_FILE, RANKING_METRIC, "max"),
               "best_val_loss": best_logged(out / LOG_FILE),
               "best_train_loss": best_logged(out / LOG_FILE, "loss"),
               "train_posts": len(data.train), "val_posts": len(data.val),
               "train_seconds": round(seconds, 1),
               "strategy": strategy_name(strategy) if strategy is not None else None,
               "replicas": active.num_replicas_in_sync,
               "global_batch_size": batch}
    neighbours, posts, extra = None, None, {"training": dict(summary)}
    if config.memory:  # the memory, and the mix of network and vote chosen for this model
        neighbours, choice, posts = remember_and_choose(model, data, validation_in_memory)
        summary["mix"] = extra["mix"] = choice.to_json()
        summary["mix_line"] = choice.line()
    finish_folder(out, TrainedAMNN(model, config, data.vocab, data.vectorizer, data.sizes,
                                   neighbours, memory_posts=posts), extra)
    return summary


def finish_folder(out: Path, trained: TrainedAMNN, extra: dict) -> None:
    """Draw the training curves, then write the model files, the manifest last.

    Shared by the hashtag and the caption trainings. The checkpoints in `out/training`
    stay until the folder has replaced the old model: a run killed before that resumes.
    """
    try:
        plot_training_curves(out / LOG_FILE, out / CURVES_FILE)
    except Exception as error:  # a plot must never cost the user a trained model
        print(f"warning: could not draw {CURVES_FILE}: {error}", file=sys.stderr)
    save_model_folder(out, trained, extra=extra)
