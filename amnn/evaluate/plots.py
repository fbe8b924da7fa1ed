"""PNG charts of evaluation metrics: precision, recall, accuracy and F1 against k.

Figures are drawn with matplotlib's object API (`Figure`, rendered by Agg), never pyplot,
so no window opens, no display is needed and no global backend is switched under a caller
that also uses matplotlib. Files are written to a temporary name and moved into place, so an
interrupted run never leaves a half-written PNG where a good one was.

Example:
    >>> from amnn.evaluate.metrics import metrics_at_k
    >>> table = metrics_at_k([["a", "b"]], [["b"]], max_k=2)
    >>> import tempfile
    >>> plot_metrics_at_k({"amnn": table}, Path(tempfile.mkdtemp()) / "metrics.png").name
    'metrics.png'
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection, Mapping

from matplotlib import colormaps
from matplotlib.figure import Figure

from amnn.atomic_files import PathLike, save_png
from amnn.evaluate.metrics import MetricsTable

_PANELS = (("precision", "Precision@k"), ("recall", "Recall@k"),
           ("accuracy", "Accuracy@k (hit rate)"), ("f1", "F1@k"))


def plot_metrics_at_k(tables: Mapping[str, MetricsTable], path: PathLike,
                      references: Collection[str] = ()) -> Path:
    """Draw precision, recall, accuracy and F1 against k, one line per method, in one PNG.

    Args:
        tables: dict of str to MetricsTable. Method name (the legend label) to its scores.
        path: str or Path. The PNG to write.
        references: names in `tables` that are bounds rather than methods (e.g. a
            ceiling): drawn as dashed black lines, so they do not read as competitors.

    Returns:
        The written path.

    Example:
        >>> from amnn.evaluate.metrics import metrics_at_k
        >>> t = metrics_at_k([["a"]], [["a"]], max_k=3)
        >>> import tempfile
        >>> png = Path(tempfile.mkdtemp()) / "two.png"
        >>> plot_metrics_at_k({"text": t, "text+image": t}, png).exists()
        True
    """
    if not tables:
        raise ValueError("tables must name at least one method, received an empty mapping")
    figure = Figure(figsize=(13, 7.5))
    axes = figure.subplots(2, 2, sharex=True).ravel()
    all_k = sorted(set().union(*(table.k for table in tables.values())))
    methods = [name for name in tables if name not in references]
    # Ten colours repeat after ten methods; twenty keep every line of a benchmark distinct.
    palette = colormaps["tab10" if len(methods) <= 10 else "tab20"]
    styles = {name: dict(marker="o", color=palette(i % palette.N))
              for i, name in enumerate(methods)}
    styles.update({name: dict(linestyle="--", color="black") for name in references
                   if name in tables})
    for ax, (attribute, title) in zip(axes, _PANELS):
        for name, table in tables.items():
            ax.plot(table.k, getattr(table, attribute), label=name, **styles[name])
        ax.set_title(title)
        ax.set_ylim(0, 1.05)  # headroom so a score of 1 is not drawn on the frame
        ax.grid(alpha=0.3)
        ax.set_xticks(all_k)
    for ax in axes[2:]:
        ax.set_xlabel("k (number of recommended hashtags)")
    # One legend beside the panels: inside one it hid that panel's lines.
    figure.legend(*axes[0].get_legend_handles_labels(), loc="center right")
    figure.subplots_adjust(right=0.76)
    counts = {t.n_posts for t in tables.values()}
    posts = (f"{counts.pop()} posts" if len(counts) == 1 else
             ", ".join(f"{name}: {t.n_posts} posts" for name, t in tables.items()))
    figure.suptitle(f"Hashtag recommendation at k ({posts})")
    return save_png(figure, path)


