"""Ranking metrics of hashtag recommendation at cut-offs k = 1..max_k, as in the AMNN paper.

Each metric is computed per post and then averaged over the posts that have at least one
true hashtag; posts without any are left out (a recall over an empty set is undefined) and
counted in `n_skipped`.

- precision@k = |top-k ∩ truth| / k. A post with fewer than k predictions keeps k as the
  denominator: a missing recommendation is a miss, so recommending less is never rewarded.
- recall@k = |top-k ∩ truth| / |truth|.
- accuracy@k (hit rate) = 1 if top-k ∩ truth is non-empty, else 0.
- F1@k = 2·P·R / (P + R) of the *averaged* P@k and R@k (0 when both are 0). The mean of
  per-post F1 values would be a different, smaller number; we follow the paper's tables,
  which report F1 of the mean precision and mean recall.

Repeated predictions count once (the first occurrence keeps its rank), and repeated true
tags count once.

Example:
    >>> table = metrics_at_k([["a", "b", "c"]], [["b", "d"]], max_k=3)
    >>> table.precision, table.recall, table.accuracy
    ([0.0, 0.5, 0.3333333333333333], [0.0, 0.5, 0.5], [0.0, 1.0, 1.0])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd


@dataclass
class MetricsTable:
    """Precision, recall, accuracy (hit rate) and F1 at each cut-off k.

    Args:
        k: list of int. The cut-offs 1..max_k.
        precision: list of float. Mean precision@k over evaluated posts, one per k.
        recall: list of float. Mean recall@k.
        accuracy: list of float. Share of posts with at least one hit in the top k.
        f1: list of float. F1 of the mean precision@k and mean recall@k.
        n_posts: int. Posts evaluated (those with at least one true hashtag).
        n_skipped: int. Posts left out because they have no true hashtag.

    Example:
        >>> t = metrics_at_k([["x"]], [["x"]], max_k=1)
        >>> t.to_dict()["f1"]
        [1.0]
    """

    k: list = field(default_factory=list)
    precision: list = field(default_factory=list)
    recall: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    f1: list = field(default_factory=list)
    n_posts: int = 0
    n_skipped: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One row per k with columns k, precision, recall, accuracy, f1.

        Example:
            >>> metrics_at_k([["x"]], [["x"]], max_k=2).to_frame()["precision"].tolist()
            [1.0, 0.5]
        """
        return pd.DataFrame({name: getattr(self, name)
                             for name in ("k", "precision", "recall", "accuracy", "f1")})

    def to_dict(self) -> dict[str, Any]:
        """Plain ints, floats and lists only, ready for `json.dump`.

        Example:
            >>> sorted(metrics_at_k([["x"]], [["x"]], max_k=1).to_dict())
            ['accuracy', 'f1', 'k', 'n_posts', 'n_skipped', 'precision', 'recall']
        """
        return asdict(self)


def _hit_matrix(predictions: Sequence[Sequence[str]], truths: Sequence[set],
                max_k: int) -> np.ndarray:
    """hits[i, j] = 1 when post i's j-th distinct prediction is one of its true tags."""
    hits = np.zeros((len(truths), max_k), dtype=np.float64)
    for row, (predicted, truth) in enumerate(zip(predictions, truths)):
        seen: set = set()
        for tag in predicted:
            if tag in seen:
                continue
            if tag in truth:
                hits[row, len(seen)] = 1.0
            seen.add(tag)
            if len(seen) == max_k:
                break
    return hits


def metrics_at_k(predictions: Sequence[Sequence[str]], truths: Sequence[Sequence[str]],
                 max_k: int) -> MetricsTable:
    """Score ranked hashtag predictions against the true hashtags of each post.

    Args:
        predictions: list of list of str. Each post's recommended hashtags, best first.
        truths: list of list of str. Each post's true hashtags, in any order.
        max_k: int. The largest cut-off; metrics are reported for k = 1..max_k.

    Returns:
        A `MetricsTable`.

    Raises:
        ValueError: `max_k` < 1, the two lists differ in length, or no post has a true tag.

    Example:
        >>> t = metrics_at_k([["a", "b"], ["c"], ["z"]], [["b"], ["c", "d"], []], max_k=2)
        >>> t.accuracy, t.n_posts, t.n_skipped
        ([0.5, 1.0], 2, 1)
    """
    if isinstance(max_k, bool) or not isinstance(max_k, (int, np.integer)) or max_k < 1:
        raise ValueError(f"max_k must be an integer >= 1, received {max_k!r}")
    if len(predictions) != len(truths):
        raise ValueError(f"predictions and truths must have one entry per post, received "
                         f"{len(predictions)} predictions and {len(truths)} truths")
    kept_predictions, kept_truths = [], []
    for predicted, truth in zip(predictions, truths):
        truth_set = set(truth)
        if truth_set:
            kept_predictions.append(predicted)
            kept_truths.append(truth_set)
    n_skipped = len(truths) - len(kept_truths)
    if not kept_truths:
        raise ValueError(f"no post has a true hashtag ({n_skipped} posts), nothing to score")

    # Counting hits per rank once, then cumulating, gives every k from one pass over the posts.
    hits_at_k = np.cumsum(_hit_matrix(kept_predictions, kept_truths, int(max_k)), axis=1)
    ks = np.arange(1, max_k + 1, dtype=np.float64)
    n_truth = np.array([len(t) for t in kept_truths], dtype=np.float64)
    precision = (hits_at_k / ks).mean(axis=0)
    recall = (hits_at_k / n_truth[:, None]).mean(axis=0)
    accuracy = (hits_at_k > 0).mean(axis=0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator,
                   out=np.zeros_like(denominator), where=denominator > 0)
    return MetricsTable(k=list(range(1, max_k + 1)), precision=precision.tolist(),
                        recall=recall.tolist(), accuracy=accuracy.tolist(), f1=f1.tolist(),
                        n_posts=len(kept_truths), n_skipped=n_skipped)
