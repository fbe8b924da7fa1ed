"""Which photos each machine extracts when the work is split into N shards, and where to.

Shard I of N holds the photos whose absolute resolved path hashes (sha1) to I, so every
machine computes the same partition from the same data set without talking to the others,
whatever order its CSV lists the photos in. `amnn.features.shards` merges the shards.

Example:
    >>> index, count = parse_shard("2/3")
    >>> paths = ["a.jpg", "b.jpg", "c.jpg", "a.jpg"]
    >>> sorted(sum((shard_paths(paths, i, count) for i in (1, 2, 3)), []))
    ['a.jpg', 'b.jpg', 'c.jpg']
"""

from __future__ import annotations

import hashlib
import operator
import re
from pathlib import Path

from amnn.features.cache_file import cache_root
from amnn.features.cache_rows import cache_key

__all__ = ["parse_shard", "shard_cache_dir", "shard_paths"]


def parse_shard(text: str) -> tuple[int, int]:
    """Read a shard argument "I/N" as (I, N): shard I of N, shards numbered 1 to N.

    Raises ValueError naming the value and the expected form.

    Example:
        >>> parse_shard("2/8")
        (2, 8)
        >>> parse_shard("0/3")
        Traceback (most recent call last):
        ...
        ValueError: shard '0/3' does not exist: shards are numbered 1 to 3; expected I/N ...
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise ValueError(f"shard must be I/N, shard I of N machines numbered 1 to N (e.g. 2/8), "
                         f"got {text!r}")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        numbered = f"1 to {count}" if count else "from 1, and N must be at least 1"
        raise ValueError(f"shard {text!r} does not exist: shards are numbered {numbered}; "
                         "expected I/N with 1 <= I <= N, e.g. 2/8")
    return index, count


def _check(index: int, count: int) -> None:
    index, count = operator.index(index), operator.index(count)  # 2.0 is no shard number
    if not 1 <= index <= count:
        raise ValueError(f"shard {index}/{count} does not exist: shards are numbered 1 to N, "
                         "expected I/N with 1 <= I <= N")


def _shard_of(key: str, count: int) -> int:
    """1-based shard of a cache key. sha1, not hash(): hash() changes with each process."""
    # surrogateescape: a Linux file name need not be valid UTF-8.
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def shard_paths(image_paths, index: int, count: int) -> list[str]:
    """The distinct photos of shard `index` of `count`, in the order first given.

    Repeats (also under other spellings of one file) are kept once, '' and None skipped;
    every photo falls in exactly one of the `count` shards.

    Example:
        >>> paths = ["a.jpg", "b.jpg", "a.jpg", ""]
        >>> sorted(shard_paths(paths, 1, 2) + shard_paths(paths, 2, 2))
        ['a.jpg', 'b.jpg']
    """
    _check(index, count)
    chosen = {}
    for path in image_paths:
        if path:
            # The cache's own key, so a shard's rows are exactly the photos assigned to it.
            key = cache_key(path)
            if key not in chosen and _shard_of(key, count) == index:
                chosen[key] = str(path)
    return list(chosen.values())


def shard_cache_dir(cache_dir, encoder_name: str, index: int, count: int) -> Path:
    """The cache folder of shard `index` of `count`: `ensure_features` fills it as usual.

    Args:
        cache_dir: str, Path or None. The main cache folder; None:
            `amnn.features.cache_file.cache_root()`.

    Example:
        >>> shard_cache_dir("/tmp/c", "efficientnet_lite0", 2, 8)
        PosixPath('/tmp/c/shards/efficientnet_lite0/shard-0002-of-0008')
    """
    _check(index, count)
    # Zero-padded, so `ls` and shell globs list the shards in order.
    return cache_root(cache_dir) / "shards" / encoder_name / f"shard-{index:04d}-of-{count:04d}"
