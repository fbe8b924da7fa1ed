"""Which row of a feature cache a photo has, and how rows are read in bounded blocks.

A photo's row is keyed by its absolute resolved path (`cache_key`), so the same photo
reached by two relative paths shares one row. Reading many rows goes through `_blocks`,
which groups nearby rows into one HDF5 slice without ever reading an unbounded range.

Example:
    >>> [(p.tolist(), a, b) for p, a, b in _blocks(np.array([5, 1, 2, 40]))]
    [([1, 2, 0], 1, 6), ([3], 40, 41)]
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

__all__ = ["cache_key"]

_BLOCK = 256  # rows per HDF5 read: ~32 MB at (49, 1280) float16, whatever the cache size
_GAP = 8  # rows skipped inside one read rather than starting another


def cache_key(path) -> str:
    """The key a photo's row has in a feature cache: its absolute resolved path.

    Example:
        >>> cache_key("/photos/../photos/a.jpg")
        '/photos/a.jpg'
    """
    return str(Path(path).expanduser().resolve())


def _keys(paths) -> list:
    """Absolute resolved path of each path ('' or None stay None); repeats resolved once."""
    memo = {}
    for p in paths:
        if p and p not in memo:
            memo[p] = cache_key(p)
    return [memo[p] if p else None for p in paths]


def _unique(paths, keys=None) -> dict:
    """{key: first path given for it}, in order, without empty paths; `keys` from `_keys`."""
    out = {}
    for path, key in zip(paths, _keys(paths) if keys is None else keys):
        if key is not None:
            out.setdefault(key, str(path))
    return out


def distinct_photos(paths) -> tuple[list, np.ndarray]:
    """The distinct photos of `paths` (first path given for each, in order) and each path's
    position among them, int32, -1 for '' or None.

    Example:
        >>> distinct_photos(["/a.jpg", "", "/b/../a.jpg"])
        (['/a.jpg'], array([ 0, -1,  0], dtype=int32))
    """
    keys = _keys(paths)
    unique = _unique(paths, keys)
    position = {key: i for i, key in enumerate(unique)}
    return list(unique.values()), np.array([position[k] if k is not None else -1
                                            for k in keys], np.int32)


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).hexdigest().encode("ascii")


def _blocks(rows: np.ndarray):
    """Yield (positions, start, stop): rows[positions] lie in [start, stop), read as one slice.

    Rows at most _GAP apart share a slice (a few unused rows cost less than another HDF5
    call); no slice spans more than _BLOCK rows, so memory stays bounded for any cache size.
    """
    order = np.argsort(rows, kind="stable")
    srt = rows[order]
    cuts = np.flatnonzero(np.diff(srt) > _GAP) + 1
    for lo, end in zip(np.r_[0, cuts], np.r_[cuts, len(srt)]):
        while lo < end:
            hi = lo + int(np.searchsorted(srt[lo:end], srt[lo] + _BLOCK))
            yield order[lo:hi], int(srt[lo]), int(srt[hi - 1]) + 1
            lo = hi
