"""The feature cache builder's loop: decode photos, encode them, write each batch as it comes.

Three stages run side by side, so that the builder costs no more than decoding plus
encoding (`benchmarks.speed.extract` measures it against that ceiling):

- tf.data reads and decodes the photos on its threads (`decode_photo`, the encoder's
  `prepare`), skipping a file it cannot read, to be reported once the good ones are stored;
- the calling thread runs the encoder on one batch;
- one writer thread hashes the previous batch's file bytes (sha1) and writes and flushes its
  rows while the encoder runs. At most one batch waits to be written, and it is always
  written before the next is handed over, or before the file closes on an error, Ctrl-C or
  `kill` (SIGTERM): every batch encoded is on disk when this returns or raises.

The per-photo map function is traced once per encoder and pixel limit, not once per call:
tracing it costs about 0.1 s, as much as encoding a few photos.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf

from amnn.config import AMNNConfig
from amnn.errors import EncoderError
from amnn.features.photo_reading import decode_photo
from amnn.features.progress import progress_bar

_SHOWN = 5  # failing files named in one error message
_TRACED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # encoder -> {limit: fn}


def listing(paths) -> str:
    """' (and 3 more: b.jpg, c.jpg, d.jpg)' for the paths after the first; '' for one path.

    Example:
        >>> listing(["a.jpg", "b.jpg"])
        ' (and 1 more: b.jpg)'
    """
    rest = [str(p) for p in paths[1:]]
    if not rest:
        return ""
    more = ", ".join(rest[:_SHOWN]) + (", ..." if len(rest) > _SHOWN else "")
    return f" (and {len(rest)} more: {more})"


def _load(path, encoder, max_pixels: int = AMNNConfig.max_photo_pixels):
    """Read, decode upright and prepare one photo; also return the bytes, to hash them."""
    data = tf.io.read_file(path)
    return encoder.prepare(decode_photo(data, max_pixels)), data


def _loader(encoder, max_pixels: int):
    """(position, path) -> (position, prepared image, file bytes), traced once per encoder."""
    ref = weakref.ref(encoder) if _weakrefable(encoder) else (lambda: encoder)
    traced = tf.function(lambda i, p: (i, *_load(p, ref(), max_pixels)))
    if not _weakrefable(encoder):
        return traced
    # The function holds the encoder weakly, so the cache never keeps an encoder alive.
    return _TRACED.setdefault(encoder, {}).setdefault(max_pixels, traced)


def _weakrefable(obj) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


def _dataset(paths: list[str], encoder, batch_size: int, max_pixels: int) -> tf.data.Dataset:
    """(positions, prepared images, file bytes) batches; decoding runs in parallel."""
    ds = tf.data.Dataset.from_tensor_slices((tf.range(len(paths)), paths))
    ds = ds.map(_loader(encoder, max_pixels), num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True)
    # A bad file must not end the run: skip it here, report it once the good ones are stored.
    ds = ds.ignore_errors()
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@contextlib.contextmanager
def _kill_as_interrupt():
    """Make SIGTERM (`kill`) raise KeyboardInterrupt, so the HDF5 file is closed cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _write(cache, paths, stats, pos, features, data) -> list[str]:
    """Hash and store one batch (on the writer thread); return its non-finite paths."""
    digests = [hashlib.sha1(d).hexdigest().encode("ascii") for d in data]
    return cache.write([paths[i] for i in pos], features, stats=[stats[i] for i in pos],
                       digests=digests)


def encode_into(cache, paths: list[str], encoder, batch_size: int, progress: bool,
                max_pixels: int) -> list[str]:
    """Encode `paths` batch by batch into `cache`, each batch written and flushed as it comes.

    Returns the paths tf.data could not read or decode, in the order given. Raises
    EncoderError when the encoder gives features that are not finite.
    """
    # Stat before reading: a file changed mid-run then fails the size/mtime check next time.
    stats = [os.stat(p) for p in paths]
    done = np.zeros(len(paths), bool)
    bar = progress_bar(len(paths), f"{encoder.name} features", enabled=progress)

    def finish(pending) -> None:
        pos, future = pending
        bad = future.result()  # a write error (DamagedCache, a full disk) raises here
        if bad:
            raise EncoderError(f"encoder {encoder.name!r} gave features that are not finite "
                               f"(or too large for float16) for {bad[0]}{listing(bad)}; "
                               "check the encoder's weights")
        done[pos] = True
        bar.update(len(pos))
        # Progress for a process waiting for this cache: it waits while the count moves.
        cache.note(f"encoding {encoder.name} features, {int(done.sum())}/{len(paths)} photos")

    # Leaving the executor waits for the batch being written, whatever ended the loop.
    with bar, _kill_as_interrupt(), ThreadPoolExecutor(1, "amnn-feature-writer") as writer:
        cache.note(f"encoding {encoder.name} features, 0/{len(paths)} photos")
        pending = None
        for pos, images, data in _dataset(paths, encoder, batch_size, max_pixels):
            # TensorFlow casts on its thread pool, faster than numpy on one core.
            features = tf.cast(encoder.encode_batch(images), tf.float16).numpy()
            if pending is not None:
                finish(pending)
            pos = pos.numpy()
            pending = (pos, writer.submit(_write, cache, paths, stats, pos, features,
                                          data.numpy()))
        if pending is not None:
            finish(pending)
    return [paths[i] for i in np.flatnonzero(~done)]
