"""Seeded splits that never put one photo on both sides: train/validation, and k folds.

Many posts share a photo (retweets, copies). If such posts sat on both sides, validation
would reward memorising the photo, so posts are split in groups: one group per image,
and one group per post without an image. `split_by_image` holds out a share of the posts
(train.py's early stopping); `photo_folds` cuts the posts into k folds for
cross-validation, where every choice of a setting is made (benchmarks/tune.py).

Example:
    >>> from types import SimpleNamespace
    >>> posts = SimpleNamespace(image_paths=["a.jpg", "a.jpg", "b.jpg", "c.jpg"], csv_path="p.csv")
    >>> train, val = split_by_image(posts, val_fraction=0.25, seed=0)
    >>> sorted(np.concatenate([train, val]).tolist()), len(val) >= 1
    ([0, 1, 2, 3], True)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from amnn.errors import DataError


def _groups(image_paths: list[str]) -> list[list[int]]:
    """Post indices grouped by image, in order of first appearance; imageless posts alone."""
    by_image: dict[str, list[int]] = {}
    groups: list[list[int]] = []
    for index, path in enumerate(image_paths):
        if not path:
            groups.append([index])
        elif path in by_image:
            by_image[path].append(index)
        else:
            by_image[path] = [index]
            groups.append(by_image[path])
    return groups


def split_by_image(posts, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and validation post indices, with no image on both sides.

    Groups are shuffled with `seed` and moved to validation until it holds at least
    `val_fraction` of the posts (at least one post). Every group is equally likely to
    land in validation whatever its size, so the last group may overshoot the target.
    At least one group always stays in training.

    Why not scikit-learn's `GroupShuffleSplit`: it sizes the split by the number of
    groups (photos), not of posts. On real data one photo can carry a third of the posts,
    so a tenth of the photos could be half the posts or none of the popular ones; this
    split holds out (about) `val_fraction` of the posts themselves.

    Args:
        posts: Posts (anything with `image_paths` and `csv_path`).
        val_fraction: float in [0, 1). Share of posts for validation; 0 gives no split.
        seed: int. Same seed, same posts, same split.

    Raises:
        DataError: fewer than two posts or images to split between the two sides.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    total = len(posts.image_paths)
    if val_fraction == 0.0:
        return np.arange(total, dtype=np.int64), np.zeros(0, dtype=np.int64)
    groups = _groups(list(posts.image_paths))
    if len(groups) < 2:
        what = "post" if total < 2 else "distinct image"
        raise DataError(posts.csv_path, f"only {len(groups)} {what} to split into training and "
                        "validation; add posts, or pass --val with a separate validation CSV")
    order = np.random.default_rng(seed).permutation(len(groups))
    target = max(1, int(round(val_fraction * total)))
    val: list[int] = []
    for position in order[:-1]:  # the last group in the order always stays in training
        if len(val) >= target:
            break
        val.extend(groups[position])
    val_indices = np.array(sorted(val), dtype=np.int64)
    train_indices = np.setdiff1d(np.arange(total, dtype=np.int64), val_indices)
    return train_indices, val_indices


def photo_groups(image_paths: Sequence[str]) -> np.ndarray:
    """One group id per post: posts sharing a photo share it, a post without one is alone.

    Example:
        >>> photo_groups(["a.jpg", "", "a.jpg", "b.jpg", ""]).tolist()
        [0, 1, 0, 2, 3]
    """
    ids = np.empty(len(image_paths), dtype=np.int64)
    for group, members in enumerate(_groups(list(image_paths))):
        ids[members] = group
    return ids


def photo_folds(posts, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`n_folds` (train, held-out) pairs of sorted post indices, grouped by photo.

    scikit-learn's `GroupKFold` (shuffled with `seed`) assigns whole groups to folds,
    keeping the folds' post counts close; each post is held out exactly once.

    Args:
        posts: Posts (anything with `image_paths` and `csv_path`).
        n_folds: int, at least 2.
        seed: int. Same seed, same posts, same folds.

    Raises:
        DataError: fewer groups (photos, or posts without one) than folds.

    Example:
        >>> from types import SimpleNamespace
        >>> posts = SimpleNamespace(image_paths=["a", "a", "b", "c", "", ""], csv_path="p.csv")
        >>> folds = photo_folds(posts, 3, seed=0)
        >>> sorted(np.concatenate([held for _, held in folds]).tolist())
        [0, 1, 2, 3, 4, 5]
        >>> any({0, 1} & set(held.tolist()) == {0} for _, held in folds)  # "a" never split
        False
    """
    from sklearn.model_selection import GroupKFold  # only cross-validation needs it

    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {n_folds}")
    groups = photo_groups(posts.image_paths)
    if len(set(groups.tolist())) < n_folds:
        raise DataError(posts.csv_path, f"{len(set(groups.tolist()))} photos or posts cannot "
                        f"be cut into {n_folds} folds; use fewer folds or more posts")
    splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    rows = np.arange(len(groups))
    return [(np.sort(train), np.sort(held))
            for train, held in splitter.split(rows, groups=groups)]
