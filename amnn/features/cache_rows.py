"""Rows of the feature cache file: which row a photo has, and reading rows without holding
the whole table.

A photo's row is keyed by its absolute resolved path (`cache_key`), so the same photo
reached by two relative paths shares one row. Reading many rows goes through `_blocks`,
which groups nearby rows into one HDF5 slice without ever reading an unbounded range.

A feature table in memory costs 125 KB per photo with EfficientNet-Lite0 (200 KB with
ResNet50): 57,000 photos, the size of a public Instagram hashtag set, would take 7-11 GB.
`CachedFeatureRows` stands in for that table: it is indexed like the numpy array
(`rows[[3, 0, 3]]`), so every caller that takes a batch of rows works with either, and
it reads only the rows asked for, in bounded slices. What it reads goes through the OS page
cache, which does not count against the process. `amnn.features.photo_table.photo_table`
chooses between the two by size. It holds the cache's shared lock
(`amnn.features.cache_lock`) until closed, so no process rewrites the rows under it;
readers of the same cache are not held up by it.

Example:
    >>> [(p.tolist(), a, b) for p, a, b in _blocks(np.array([5, 1, 2, 40]))]
    [([1, 2, 0], 1, 6), ([3], 40, 41)]
    >>> import os, tempfile
    >>> import h5py
    >>> path = os.path.join(tempfile.mkdtemp(), "f.h5")
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("features", data=np.arange(3 * 2 * 4).reshape(3, 2, 4))
    >>> rows = CachedFeatureRows(path, np.array([2, 0]))  # table row 0 is cache row 2
    >>> rows.shape, rows[[1, 2, 0]][:, 0, 0].tolist()  # row 2: the blank last row
    ((3, 2, 4), [0.0, 0.0, 16.0])
    >>> rows.close()  # a writer may come in
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np

from amnn.features.cache_lock import CacheLock, open_h5

__all__ = ["CachedFeatureRows", "cache_key", "distinct_photos"]

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


class CachedFeatureRows:
    """A read-only feature table whose rows stay in the cache file until asked for.

    Row i of the table is row `cache_rows[i]` of the file's `features` dataset; one last
    row, all zeros, is added for posts without a photo (as `PhotoTable` has).

    Args:
        path: str or Path. The HDF5 feature cache (`amnn.features.store.FeatureCache`).
        cache_rows: int array (U,). The file row of each distinct photo.
        lock: a held shared `CacheLock` of `path` to keep (and release on `close`), or None
            to take one.
    """

    dtype = np.dtype(np.float16)

    def __init__(self, path, cache_rows: np.ndarray, lock: CacheLock | None = None) -> None:
        self.path = Path(path)
        self.cache_rows = np.asarray(cache_rows, np.int64)
        self._file = None
        self._cache_lock = lock or CacheLock(self.path, exclusive=False).acquire()
        try:
            with open_h5(self.path, "r") as f:
                self.row_shape = tuple(int(d) for d in f["features"].shape[1:])
        except BaseException:
            self._cache_lock.release()
            raise
        self._lock = threading.Lock()  # tf.data may call from several threads

    @property
    def shape(self) -> tuple:
        return (len(self.cache_rows) + 1, *self.row_shape)

    @property
    def nbytes(self) -> int:
        """What the same table would take in memory."""
        return int(np.prod(self.shape)) * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        """The features of table rows `rows` (int array-like), float16 (len(rows), 49, C)."""
        rows = np.asarray(rows, np.int64).reshape(-1)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"feature rows must lie in [0, {len(self)}), "
                             f"got {rows.min()}..{rows.max()}")
        out = np.zeros((len(rows), *self.row_shape), np.float16)
        photo = rows < len(self.cache_rows)  # the others point at the blank row
        wanted = np.flatnonzero(photo)
        file_rows = self.cache_rows[rows[wanted]]
        with self._lock:
            features = self._features()
            for pos, start, stop in _blocks(file_rows):
                out[wanted[pos]] = features[start:stop][file_rows[pos] - start]
        return out

    def _features(self):
        # Opened on first use and kept: opening an HDF5 file costs more than a batch read.
        if self._file is None:
            self._file = open_h5(self.path, "r")
        return self._file["features"]

    def close(self) -> None:
        """Close the file and give back the cache's lock; rows can no longer be read."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if hasattr(self, "_cache_lock"):
            self._cache_lock.release()

    def __del__(self) -> None:  # predict.py drops a chunk's table without closing it
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter exit the modules may be gone
            pass

    def __getstate__(self):
        raise TypeError("CachedFeatureRows reads an open HDF5 file; build one per process")
