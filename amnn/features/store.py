"""`FeatureCache`: the HDF5 file of one encoder's region features, one row per image.

The layout and the content check are described in `amnn.features.extraction`, which fills this
file with the encoder's features; nothing here needs TensorFlow. A file holds the features of
one encoder fingerprint (`ImageEncoder.fingerprint`: weights, preprocessing, photo reading),
stored in its attrs and checked on every open, so no file is ever read for other weights.
Processes share a file through `amnn.features.cache_lock`: readers together, a writer alone;
one that must wait says so and waits its turn.

Example: see `FeatureCache`.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from amnn.errors import AMNNError, DataError
from amnn.features.cache_file import FORMAT_VERSION, check_identity, set_aside
from amnn.features.cache_lock import CacheLock, open_h5
from amnn.features.cache_rows import _blocks, _keys, _sha1, _unique

# How `amnn.features.photo_reading` turns a file into pixels; change it with that reading.
# It is part of every encoder fingerprint, so another reading gets another cache file.
PHOTO_READING = "exif-upright-v1"
_META = {"sizes": "i8", "mtimes": "i8", "digests": "S40", "complete": "u1"}


class FeaturesNotCachedError(AMNNError, KeyError):
    """Features were asked for an image the cache does not hold; run `ensure_features`."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class DamagedCache(OSError):
    """A write failed on a damaged file; it was moved aside and a new, empty one opened."""


class FeatureCache:
    """The HDF5 file of one encoder's region features (layout: see `amnn.features.extraction`).

    Args:
        path: str or Path. The .h5 file; created with its folder when absent (mode "a").
        encoder_name: str. Must match the file's `encoder` attribute.
        feature_shape: tuple. (49, C); must match the file's `feature_shape` attribute.
        mode: str. "a" to read and write, "r" to read only (several readers may share it;
            a writer waits for them, and they for it: `amnn.features.cache_lock`).
        fingerprint: str, keyword only. The encoder's fingerprint (`encoder.fingerprint`,
            sha256 hex of its weights and preprocessing); stored in a new file, and a file
            holding another one raises DataError: features of other weights are never read.
        wait: float or None, keyword only. Seconds to wait for another process holding the
            file without progress; None: `cache_wait_seconds()` (AMNN_CACHE_WAIT).

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from PIL import Image
        >>> folder = tempfile.mkdtemp()
        >>> photo = os.path.join(folder, "a.jpg")
        >>> Image.new("RGB", (8, 8)).save(photo)
        >>> h5 = os.path.join(folder, "f.h5")
        >>> with FeatureCache(h5, "efficientnet_lite0", (49, 1280), fingerprint="ab" * 32) as cache:
        ...     cache.write([photo], np.zeros((1, 49, 1280)))  # the paths of non-finite rows
        ...     photo in cache, len(cache)
        []
        (True, 1)
    """

    def __init__(self, path, encoder_name: str, feature_shape, mode: str = "a", *,
                 fingerprint: str, wait: float | None = None) -> None:
        if mode not in ("a", "r"):
            raise ValueError(f"mode must be 'a' or 'r', got {mode!r}")
        if not isinstance(fingerprint, str) or not fingerprint:
            raise ValueError(f"fingerprint must be the encoder's fingerprint (a hex string), "
                             f"got {fingerprint!r}")
        self.path, self.encoder_name, self.mode = Path(path), encoder_name, mode
        self.fingerprint = fingerprint
        self.feature_shape = tuple(int(d) for d in feature_shape)
        self.unrefreshed = 0  # rows `missing` found touched but unchanged, not saved in "r"
        if mode == "r" and not self.path.is_file():
            raise DataError(self.path, "no feature cache here; extract the image features first")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = CacheLock(self.path, exclusive=mode == "a", wait=wait).acquire()
        try:
            self._open()
        except BaseException:
            self._lock.release()
            raise

    def _open(self) -> None:
        if not self.path.is_file() and self.mode == "r":  # removed while this one waited
            raise DataError(self.path, "no feature cache here; extract the image features first")
        try:
            self._file = open_h5(self.path, self.mode)
        except OSError as err:
            self._unreadable(err)
            self._file = open_h5(self.path, self.mode)
        try:
            self._load()
        except (OSError, KeyError) as err:  # the file opens but its datasets are damaged
            self._file.close()
            self._unreadable(err)
            self._file = open_h5(self.path, self.mode)
            self._load()
        except BaseException:
            self._file.close()
            raise

    def _unreadable(self, err: Exception) -> None:
        set_aside(self.path, self.mode == "a", err)

    def _load(self) -> None:
        """Create the datasets of a new file, or check an old one's; index its rows."""
        f = self._file
        if len(f) == 0 and self.mode == "a":
            shape = self.feature_shape
            f.create_dataset("features", (0, *shape), maxshape=(None, *shape), dtype="f2",
                             chunks=(1, *shape))
            for name, dtype in {"keys": h5py.string_dtype("utf-8"), **_META}.items():
                f.create_dataset(name, (0,), maxshape=(None,), dtype=dtype, chunks=(1024,))
            f.attrs.update(encoder=self.encoder_name, feature_shape=shape,
                           format_version=FORMAT_VERSION, fingerprint=self.fingerprint)
            f.flush()
        check_identity(self.path, f.attrs, self.encoder_name, self.feature_shape,
                       self.fingerprint)
        if "features" not in f:
            raise DataError(self.path, "not an AMNN feature cache (no features); move it aside "
                            "and run again to rebuild it")
        # A run killed between growing the file and naming the rows leaves '' keys: skip them.
        self._rows = {k: i for i, k in enumerate(f["keys"].asstr()[:]) if k}

    def close(self) -> None:
        """Flush and close the file, then let the next process in (also done by `with`)."""
        if self._file.id.valid:
            self._file.close()
        self._lock.release()

    def note(self, doing: str) -> None:
        """Tell processes waiting for this writer what it does, e.g. "encoding 3/9 photos"."""
        self._lock.note(doing)

    def __enter__(self) -> "FeatureCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __contains__(self, path) -> bool:
        row = self._rows.get(_keys([path])[0])
        return row is not None and bool(self._file["complete"][row])

    def __len__(self) -> int:
        """Number of images whose features are complete."""
        return int(self._file["complete"][:].sum())

    def missing(self, paths) -> list[str]:
        """The paths (deduplicated, in order) whose features are absent, stale or unusable.

        A file whose size or mtime changed is hashed again; if its bytes are the same, its
        size and mtime are refreshed and its features kept.
        """
        f = self._file
        sizes, mtimes, digests, complete = (f[name][:] for name in _META)
        todo, keep, refresh = set(), {}, []
        wanted = _unique(paths)
        for key, path in wanted.items():
            row = self._rows.get(key)
            stat = os.stat(path) if os.path.isfile(path) else None
            if row is None or not complete[row] or stat is None:
                todo.add(key)
            elif (stat.st_size, stat.st_mtime_ns) == (sizes[row], mtimes[row]):
                keep[key] = row
            elif _sha1(Path(path).read_bytes()) == digests[row]:
                keep[key] = row
                refresh.append((row, stat))
            else:
                todo.add(key)
        # A flagged row may still hold inf or NaN (a damaged file): such rows are recomputed.
        rows, names = np.fromiter(keep.values(), np.int64, len(keep)), list(keep)
        for pos, start, stop in _blocks(rows):
            finite = np.isfinite(f["features"][start:stop]).all(axis=(1, 2))
            todo.update(names[i] for i in pos[~finite[rows[pos] - start]])
        if refresh and self.mode == "a":
            for row, stat in refresh:
                f["sizes"][row], f["mtimes"][row] = stat.st_size, stat.st_mtime_ns
            f.flush()
        self.unrefreshed = len(refresh) if self.mode == "r" else 0
        return [path for key, path in wanted.items() if key in todo]

    def write(self, paths, features, *, stats=None, digests=None) -> list[str]:
        """Store one batch of features; return the paths whose features are not finite.

        Args:
            paths: list of str. Distinct image paths, one per row of `features` (N, 49, C).
            stats: list of os.stat_result, taken before the files were read; None: stat now.
            digests: list of sha1 hex bytes of what was decoded; None: hash the files now.

        Non-finite rows are stored but left incomplete, so they are never read as valid.
        """
        feats = np.asarray(features, dtype=np.float16)
        if feats.shape != (len(paths), *self.feature_shape):
            raise ValueError(f"features must have shape {(len(paths), *self.feature_shape)}, "
                             f"got {feats.shape}")
        keys = _keys(paths)
        if not keys:
            return []
        if None in keys or len(set(keys)) != len(keys):
            raise ValueError(f"paths must be distinct and non-empty, got {paths}")
        stats = stats or [os.stat(p) for p in paths]
        digests = digests or [_sha1(Path(p).read_bytes()) for p in paths]
        try:
            return self._write(paths, keys, feats, stats, digests)
        except OSError as err:
            # A run killed mid-write can leave a file that opens and reads but cannot be
            # written (h5py: "bad heap index"): move it aside and start a new one.
            self._file.close()
            self._unreadable(err)
            self._file = open_h5(self.path, self.mode)
            self._load()
            raise DamagedCache(str(self.path)) from err

    def _write(self, paths, keys, feats, stats, digests) -> list[str]:
        f = self._file
        n = f["keys"].shape[0]
        new = [k for k in keys if k not in self._rows]
        old = np.array([self._rows[k] for k in keys if k in self._rows], np.int64)
        if len(old):
            # Unflag before overwriting, so a crash mid-write leaves those rows to recompute.
            f["complete"][np.sort(old)] = 0
            f.flush()
        if new:
            for name in ("features", "keys", *_META):
                f[name].resize(n + len(new), axis=0)
            f["keys"][n:] = new
            self._rows.update((k, n + i) for i, k in enumerate(new))
        rows = np.array([self._rows[k] for k in keys], np.int64)
        finite = np.isfinite(feats).all(axis=(1, 2))
        columns = {"features": feats, "digests": np.array(digests, "S40"),
                   "sizes": np.array([s.st_size for s in stats], np.int64),
                   "mtimes": np.array([s.st_mtime_ns for s in stats], np.int64)}
        order = np.argsort(rows)
        srt = rows[order]
        # One slice assignment when the rows are contiguous, as appended rows always are.
        where = slice(srt[0], srt[-1] + 1) if srt[-1] - srt[0] + 1 == len(srt) else srt
        for name, values in columns.items():
            f[name][where] = values[order]
        f.flush()
        f["complete"][where] = finite[order]
        f.flush()
        return [p for p, ok in zip(paths, finite) if not ok]

    def read(self, paths) -> np.ndarray:
        """Features of `paths` as float16 (len(paths), 49, C); FeaturesNotCachedError if absent."""
        rows = self.file_rows(paths)
        out = np.empty((len(rows), *self.feature_shape), np.float16)
        features = self._file["features"]
        for pos, start, stop in _blocks(rows):
            if stop - start == len(pos) and (np.diff(pos) == 1).all():
                # Rows stored in the order asked (the usual case): read straight into `out`.
                features.read_direct(out, np.s_[start:stop], np.s_[pos[0]:pos[-1] + 1])
            else:
                out[pos] = features[start:stop][rows[pos] - start]
        return out

    def file_rows(self, paths) -> np.ndarray:
        """The row of each of `paths` in the file (int64); FeaturesNotCachedError if absent."""
        keys = _keys(paths)
        complete = self._file["complete"][:]
        rows = np.empty(len(keys), np.int64)
        for i, (key, path) in enumerate(zip(keys, paths)):
            row = self._rows.get(key)
            if row is None or not complete[row]:
                raise FeaturesNotCachedError(f"{path}: no features in the cache {self.path}"
                                             "; extract the image features "
                                             "(ensure_features) first")
            rows[i] = row
        return rows
