"""PNG charts of evaluation metrics and training logs.

Figures are drawn with matplotlib's object API (`Figure`, rendered by Agg), never pyplot,
so no window opens, no display is needed and no global backend is switched under a caller
that also uses matplotlib. Files are written to a temporary name and moved into place, so an
interrupted run never leaves a half-written PNG where a good one was.

Example:
    >>> from amnn.metrics import metrics_at_k
    >>> table = metrics_at_k([["a", "b"]], [["b"]], max_k=2)
    >>>     >>> plot_metrics_at_k({"amnn": table}, Path(tempfile.mkdtemp()) / "metrics.png").name
    'metrics.png'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Union

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from amnn.atomic_files import atomic_output
from amnn.errors import DataError
from amnn.metrics import MetricsTable

PathLike = Union[str, os.PathLike]

_PANELS = (("precision", "Precision@k"), ("recall", "Recall@k"),
           ("accuracy", "Accuracy@k (hit rate)"), ("f1", "F1@k"))
# CSVLogger columns that are not a metric to pair with its val_ twin.
_NOT_METRICS = {"epoch", "learning_rate", "lr"}


def _save(figure: Figure, path: PathLike) -> Path:
    with atomic_output(path) as tmp:
        # The temporary name ends in .tmp, so the format must be given.
        figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return Path(path)


def plot_metrics_at_k(tables: Mapping[str, MetricsTable], path: PathLike) -> Path:
    """Draw precision, recall, accuracy and F1 against k, one line per method, in one PNG.

    Args:
        tables: dict of str to MetricsTable. Method name (the legend label) to its scores.
        path: str or Path. The PNG to write.

    Returns:
        The written path.

    Example:
        >>> from amnn.metrics import metrics_at_k
        >>> t = metrics_at_k([["a"]], [["a"]], max_k=3)
        >>> import tempfile
        >>> png = Path(tempfile.mkdtemp()) / "two.png"
        >>> plot_metrics_at_k({"text": t, "text+image": t}, png).exists()
        True
    """
    if not tables:
        raise ValueError("tables must name at least one method, received an empty mapping")
    figure = Figure(figsize=(10, 7.5))
    axes = figure.subplots(2, 2, sharex=True).ravel()
    all_k = sorted(set().union(*(table.k for table in tables.values())))
    for ax, (attribute, title) in zip(axes, _PANELS):
        for name, table in tables.items():
            ax.plot(table.k, getattr(table, attribute), marker="o", label=name)
        ax.set_title(title)
        ax.set_ylim(0, 1.05)  # headroom so a score of 1 is not drawn on the frame
        ax.grid(alpha=0.3)
        ax.set_xticks(all_k)
    for ax in axes[2:]:
        ax.set_xlabel("k (number of recommended hashtags)")
    axes[0].legend(loc="best")
    counts = {t.n_posts for t in tables.values()}
    posts = (f"{counts.pop()} posts" if len(counts) == 1 else
             ", ".join(f"{name}: {t.n_posts} posts" for name, t in tables.items()))
    figure.suptitle(f"Hashtag recommendation at k ({posts})")
    return _save(figure, path)


def plot_training_curves(log_csv_path: PathLike, path: PathLike) -> Path:
    """Plot a Keras `CSVLogger` file: each metric and its `val_` twin against the epoch.

    One panel per metric (loss first), plus the learning rate on a log scale when logged.

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
    metrics.sort(key=lambda c: c != "loss")  # loss first, the rest in logged order
    rate_column = next((c for c in ("learning_rate", "lr") if c in log.columns), None)
    n_panels = len(metrics) + (rate_column is not None)
    figure = Figure(figsize=(5 * min(n_panels, 3), 3.8 * ((n_panels + 2) // 3)))
    axes = figure.subplots((n_panels + 2) // 3, min(n_panels, 3), squeeze=False).ravel()
    epochs = log["epoch"] + 1  # CSVLogger counts from 0; people count epochs from 1
    for ax, metric in zip(axes, metrics):
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
    return _save(figure, path)
