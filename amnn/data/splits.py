"""A seeded train/validation split that never puts one photo on both sides.

Many posts share a photo (retweets, copies). If such posts sat on both sides, validation
would reward memorising the photo, so posts are split in groups: one group per image,
and one group per post without an image.

Example:
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> posts = SimpleNamespace(image_paths=["a.jpg", "a.jpg", "b.jpg", "c.jpg"], csv_path="p.csv")
    >>> train, val = split_by_image(posts, val_fraction=0.25, seed=0)
    >>> sorted(np.concatenate([train, val]).tolist()), len(val) >= 1
    ([0, 1, 2, 3], True)
"""

from __future__ import annotations

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
