"""The PNG of a training log: each metric and its validation twin against the epoch.

Drawn with matplotlib's object API (`Figure`, rendered by Agg), never pyplot, so no window
opens and no global backend is switched under a caller that also uses matplotlib.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from amnn.atomic_files import PathLike, save_png
from amnn.errors import DataError

# CSVLogger columns that are not a metric to pair with its val_ twin.
_NOT_METRICS = {"epoch", "learning_rate", "lr"}


def plot_training_curves(log_csv_path: PathLike, path: PathLike) -> Path:
    """Plot a Keras `CSVLogger` file: each metric and its `val_` twin against the epoch.

    One panel per metric (loss first; a `val_` column without a training twin gets its own),
    plus the learning rate on a log scale when logged.

    Args:
        log_csv_path: str or Path. The CSV written by `keras.callbacks.CSVLogger`.
        path: str or Path. The PNG to write.

    Returns:
        The written path.

    Raises:
        FileNotFoundError: the log does not exist.
        DataError: the log has no rows, or no `epoch` or `loss` column.

    Example:
        >>> log = "epoch,loss,val_loss\\n0,2.0,2.1\\n1,1.5,1.8\\n"
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "log.csv").write_text(log)
        >>> plot_training_curves(folder / "log.csv", folder / "curves.png").name
        'curves.png'
    """
    try:
        log = pd.read_csv(log_csv_path)
    except pd.errors.EmptyDataError:
        raise DataError(str(log_csv_path), "the training log is empty") from None
    for column in ("epoch", "loss"):
        if column not in log.columns:
            raise DataError(str(log_csv_path), f"no column {column!r}; is this a Keras "
                            f"CSVLogger file? columns are {list(log.columns)}", column=column)
    if log.empty:
        raise DataError(str(log_csv_path), "the training log has a header but no epochs")

    metrics = [c for c in log.columns
               if c not in _NOT_METRICS and not c.startswith("val_")]
    # Validation-only scores (val_ranking, which early stopping watches) get a panel too.
    metrics += [c[4:] for c in log.columns if c.startswith("val_") and c[4:] not in log]
    metrics.sort(key=lambda c: c != "loss")  # loss first, the rest in logged order
    rate_column = next((c for c in ("learning_rate", "lr") if c in log.columns), None)
    n_panels = len(metrics) + (rate_column is not None)
    figure = Figure(figsize=(5 * min(n_panels, 3), 3.8 * ((n_panels + 2) // 3)))
    axes = figure.subplots((n_panels + 2) // 3, min(n_panels, 3), squeeze=False).ravel()
    epochs = log["epoch"] + 1  # CSVLogger counts from 0; people count epochs from 1
    for ax, metric in zip(axes, metrics):
        if metric in log.columns:
            ax.plot(epochs, log[metric], marker="o", label=f"train {metric}")
        if f"val_{metric}" in log.columns:
            ax.plot(epochs, log[f"val_{metric}"], marker="o", label=f"validation {metric}")
        ax.set_title(metric)
        ax.legend(loc="best")
    if rate_column is not None:
        ax = axes[len(metrics)]
        ax.plot(epochs, log[rate_column], marker="o")
        ax.set_yscale("log")
        ax.set_title("learning rate")
    for ax in axes[:n_panels]:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return save_png(figure, path)

