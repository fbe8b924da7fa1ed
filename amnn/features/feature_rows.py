"""Photo features read from the HDF5 cache when a batch asks for them, not held in memory.

A feature table in memory costs 125 KB per photo with EfficientNet-Lite0 (200 KB with
ResNet50): 57,000 photos, the size of a public Instagram hashtag set, would take 7-11 GB.
`CachedFeatureRows` stands in for that table: it is indexed like the numpy array
(`rows[[3, 0, 3]]`), so every caller that takes a batch of rows works with either, and
it reads only the rows asked for, in bounded slices (`amnn.features.cache_rows._blocks`).
What it reads goes through the OS page cache, which does not count against the process.
`amnn.features.photo_table.photo_table` chooses between the two by size. It holds the
cache's shared lock (`amnn.features.cache_lock`) until closed, so no process rewrites the
rows under it; readers of the same cache are not held up by it.

Example:
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

import threading
from pathlib import Path

import numpy as np

from amnn.features.cache_lock import CacheLock, open_h5
from amnn.features.cache_rows import _blocks


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


def cached_feature_rows(image_paths, encoder, cache_dir=None) -> tuple[CachedFeatureRows,
                                                                         np.ndarray]:
    """Like `amnn.features.extraction.load_features`, but the features stay on disk.

    Returns (CachedFeatureRows of the distinct photos in first-seen order plus the blank
    row, int32 row of each path among them, -1 for no photo). Raises
    FeaturesNotCachedError when a photo has no features in `encoder`'s cache (run
    `ensure_features` first).
    """
    from amnn.features.cache_identity import feature_cache_file
    from amnn.features.cache_rows import distinct_photos
    from amnn.features.store import FeatureCache

    unique, index = distinct_photos(image_paths)
    path = feature_cache_file(encoder, cache_dir)
    # The rows found must stay the rows read: hold the lock from finding them on.
    with FeatureCache(path, encoder.name, encoder.feature_shape, mode="r",
                      fingerprint=encoder.fingerprint) as cache:
        rows = cache.file_rows(unique)
        lock = CacheLock(path, exclusive=False).acquire()  # counted: it stays when cache closes
    return CachedFeatureRows(path, rows, lock), index
