"""Region features of every photo, extracted once and reused by training and prediction.

`ensure_features` runs the image encoder over the photos the cache lacks (new, changed, or
left unfinished by an interrupted run) and stores their 7x7 region features, 49 rows of C
channels; `amnn.features.photo_table` (the package's entrance) calls it and reads them back,
one row per distinct photo.

One HDF5 file per encoder and weights, `feature_cache_file(encoder)` =
`cache_root()/features/<encoder>-<fingerprint12>.h5` (format 2; the key and why older
`<encoder>.h5` files are not reused: `amnn.features.cache_file`), kept by
`amnn.features.store.FeatureCache`; row i of every dataset describes the same photo:

    features  float16 (N, 49, C)  resizable, one row per chunk
    keys      utf-8 str (N,)      absolute resolved photo path
    sizes     int64 (N,)          file size in bytes, taken before the file was read
    mtimes    int64 (N,)          file mtime in nanoseconds, taken before the file was read
    digests   ascii S40 (N,)      sha1 hex of the exact bytes that were decoded
    complete  uint8 (N,)          1 once the row's features are on disk (flushed after them)
    attrs     encoder (str), feature_shape (49, C), format_version (2),
              fingerprint (str, `ImageEncoder.fingerprint`: sha256 of the weights, the
              preprocessing and `amnn.features.store.PHOTO_READING`)

A row is reused when its path, size and mtime match; when size or mtime changed but the
sha1 is the same, only size and mtime are refreshed. Rows not complete or not finite are
recomputed; other weights, preprocessing or photo reading (photos are read upright and
checked against a pixel limit by `amnn.features.photo_reading`) give another fingerprint,
so another file. Each batch is flushed as it is written, so an interrupted run (Ctrl-C, kill)
keeps its work; an unreadable file is moved aside to `<name>.corrupt-<time>`, never deleted.

Processes share the file (`amnn.features.cache_lock`): the photos are first looked up as a
reader, alongside any other reader, and only photos the cache lacks make this process a
writer, which waits for the others and has the file alone. Two workers of one training on
one machine therefore extract the photos once: the first to get the file encodes them, the
other waits, showing what for, and then finds them all cached.

Example:
    With a tiny untrained encoder (8 channels), registered under its name as the built-in
    ones are; real runs use `get_encoder("efficientnet_lite0")`, features (49, 1280).

    >>> import pathlib, tempfile
    >>> import keras
    >>> import amnn
    >>> from amnn.features.encoders import get_encoder, register_encoder, registry
    >>> from amnn.features.encoders.image_encoder import ImageEncoder
    >>> from amnn.features.photo_table import load_features
    >>> def tiny(weights, cache_dir):
    ...     inputs = keras.Input((224, 224, 3))
    ...     grid = keras.layers.Conv2D(8, 32, strides=32)(inputs)  # (B, 7, 7, 8)
    ...     return ImageEncoder("tiny", keras.Model(inputs, grid), lambda x: x / 255.0, 8)
    >>> register_encoder("tiny", tiny, channels=8)
    >>> enc = get_encoder("tiny")
    >>> images = pathlib.Path(amnn.__file__).parent.parent / "dataset" / "images"
    >>> a, b = str(images / "coffee.jpg"), str(images / "chelsea.jpg")
    >>> cache_dir = tempfile.mkdtemp()  # None: cache_root(), e.g. ~/.cache/amnn
    >>> ensure_features([a, b, a], enc, cache_dir=cache_dir, progress=False)
    PosixPath('.../features/tiny-....h5')
    >>> feats, index = load_features([a, "", a], enc, cache_dir=cache_dir)
    >>> feats.shape, feats.dtype, index.tolist()
    ((1, 49, 8), dtype('float16'), [0, -1, 0])
    >>> _ = registry._REGISTRY.pop("tiny")  # forget the example's encoder
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from amnn.config import AMNNConfig
from amnn.errors import DataError
from amnn.features.cache_file import feature_cache_file, older_cache_note
from amnn.features.cache_lock import CacheBusyError
from amnn.features.cache_rows import _unique
from amnn.features.encode_loop import encode_into, listing
from amnn.features.photo_reading import HOW_TO_RAISE, decode_failure, pixel_problem
from amnn.features.store import DamagedCache, FeatureCache

__all__ = ["ensure_features", "try_ensure_features"]

_EXPLAINED = 20  # undecodable photos whose own TensorFlow error try_ensure_features words
MAX_PIXELS = AMNNConfig.max_photo_pixels  # the default pixel limit of one photo


def _decode_error(paths: list[str], encoder, max_pixels: int) -> DataError:
    """A DataError naming the photos tf.data skipped, with the first one's own error."""
    saved = "Features of the other photos are saved, so the next run extracts only what is left"
    large = [p for p in paths if pixel_problem(p, max_pixels)]
    if large:
        return DataError(large[0], f"photo too large{listing(large)}: "
                         f"{pixel_problem(large[0], max_pixels)}; shrink it, or {HOW_TO_RAISE}. "
                         f"{saved}")
    reason = decode_failure(paths[0], max_pixels, encoder.prepare)
    return DataError(paths[0], f"cannot read this file as an image ({reason}){listing(paths)}; "
                     f"convert it to JPEG or PNG, or remove it from the data. {saved}")


def _unreadable(paths: list[str]) -> list[str]:
    return [p for p in paths if not (os.path.isfile(p) and os.access(p, os.R_OK))]


def _store(paths: list[str], encoder, cache_dir: str | None, batch_size: int,
           progress: bool, max_pixels: int) -> list[str]:
    """Extract what the cache lacks of `paths` (distinct, readable); return the undecodable."""
    path = feature_cache_file(encoder, cache_dir)
    note = older_cache_note(path)
    if note:
        print(note, file=sys.stderr)
    todo, touched = _lacking(path, paths, encoder)
    if not todo and not touched:
        return []
    try:  # only sizes and mtimes to save: not worth waiting for the file
        cache = FeatureCache(path, encoder.name, encoder.feature_shape,
                             fingerprint=encoder.fingerprint, wait=None if todo else 0)
    except CacheBusyError:
        if todo:
            raise
        return []  # a later run saves them; the photos' bytes were the same
    with cache:
        todo = cache.missing(paths)
        args = (encoder, batch_size, progress, max_pixels)
        try:
            return encode_into(cache, todo, *args) if todo else []
        except DamagedCache:  # moved aside, a new file opened: it needs every photo
            return encode_into(cache, cache.missing(paths), *args)


def _lacking(path: Path, paths: list[str], encoder) -> tuple[list[str], int]:
    """(photos the cache lacks, rows touched but unchanged), looked up as a reader.

    A cache that cannot be read as it is (absent, damaged) lacks everything: the writer
    creates it or moves it aside.
    """
    if not path.is_file():
        return paths, 0
    try:
        with FeatureCache(path, encoder.name, encoder.feature_shape, mode="r",
                          fingerprint=encoder.fingerprint) as cache:
            return cache.missing(paths), cache.unrefreshed
    except CacheBusyError:
        raise
    except DataError:  # damaged, or another fingerprint: the writer says which
        return paths, 0


def ensure_features(image_paths, encoder, cache_dir: str | None = None, batch_size: int = 32,
                    progress: bool = True, max_pixels: int = MAX_PIXELS) -> Path:
    """Extract the region features of the photos the cache lacks; return the cache file.

    Args:
        image_paths: list of str. Photo paths; repeats are extracted once, '' is skipped.
        encoder: an encoder from `amnn.features.encoders.get_encoder` (name, feature_shape, prepare,
            encode_batch).
        cache_dir: str or None. Cache folder; None uses `amnn.features.cache_file.cache_root()`.
        batch_size: int. Photos per encoder call.
        progress: bool. Show a progress bar with images/s on stderr.
        max_pixels: int. A photo with more pixels fails from its header, before decoding
            (`AMNNConfig.max_photo_pixels`).

    Raises DataError naming the photos that are missing, unreadable, too large or not
    decodable.

    Example:
        The module's example extracts real photos with a tiny encoder. A missing photo
        fails before any encoder runs:

        >>> ensure_features(["/no/such/photo.jpg", ""], encoder=None)
        Traceback (most recent call last):
        ...
        amnn.errors.DataError: /no/such/photo.jpg: photo not found or not readable; fix the
        image path, or leave it empty for a post without a photo

    Usage (the default encoder loads pretrained weights, too slow for a doctest):

        ensure_features(posts.image_paths, get_encoder("efficientnet_lite0"))
        # PosixPath('/home/me/.cache/amnn/features/efficientnet_lite0-3f9c0e1b2a4d.h5')

    tests/features/test_extraction.py runs it with the real Lite0 encoder
    (test_extracts_float16_features_once_equal_to_the_encoder and the tests after it).
    """
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    paths = list(_unique(image_paths).values())
    unreadable = _unreadable(paths)
    if unreadable:
        raise DataError(unreadable[0], f"photo not found or not readable{listing(unreadable)}; "
                        "fix the image path, or leave it empty for a post without a photo")
    failed = _store(paths, encoder, cache_dir, int(batch_size), progress, int(max_pixels))
    if failed:
        raise _decode_error(failed, encoder, int(max_pixels))
    return feature_cache_file(encoder, cache_dir)


def try_ensure_features(image_paths, encoder, cache_dir: str | None = None,
                        batch_size: int = 32, progress: bool = True,
                        max_pixels: int = MAX_PIXELS) -> dict[str, str]:
    """Like `ensure_features`, but return the photos that failed instead of raising.

    Every photo that can be read and decoded gets its features stored; the others are
    returned as {path: reason}, in the order given (one path per photo, as `_unique` keeps
    it). This lets `amnn.features.photo_check` list every bad photo at once and apply
    --on-bad-image.

    Example:
        >>> import os, pathlib, shutil, tempfile
        >>> import keras
        >>> import amnn
        >>> from amnn.features.encoders.image_encoder import ImageEncoder
        >>> inputs = keras.Input((224, 224, 3))  # a tiny untrained encoder, 8 channels
        >>> grid = keras.layers.Conv2D(8, 32, strides=32)(inputs)
        >>> enc = ImageEncoder("tiny", keras.Model(inputs, grid), lambda x: x / 255.0, 8)
        >>> folder = tempfile.mkdtemp()
        >>> images = pathlib.Path(amnn.__file__).parent.parent / "dataset" / "images"
        >>> a = shutil.copy(images / "coffee.jpg", os.path.join(folder, "a.jpg"))
        >>> empty = os.path.join(folder, "empty.jpg"); open(empty, "wb").close()
        >>> gone = os.path.join(folder, "gone.jpg")
        >>> try_ensure_features([a, empty, gone], enc, cache_dir=folder, progress=False)
        {'.../empty.jpg': 'Input is empty.', '.../gone.jpg': 'not found or not readable'}
    """
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    paths = list(_unique(image_paths).values())
    unreadable = set(_unreadable(paths))  # tf.data would skip them too, but say why
    readable = [p for p in paths if p not in unreadable]
    max_pixels = int(max_pixels)
    failed = _store(readable, encoder, cache_dir, int(batch_size), progress,
                    max_pixels) if readable else []
    # Decoding a bad file again only to word its error costs time: explain the first few.
    reasons = {p: decode_failure(p, max_pixels, encoder.prepare) if i < _EXPLAINED
               else pixel_problem(p, max_pixels) or "cannot be decoded"
               for i, p in enumerate(failed)}
    reasons.update((p, "not found or not readable") for p in unreadable)
    return {p: reasons[p] for p in paths if p in reasons}
