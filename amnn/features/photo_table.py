"""The entrance to photo features: photo paths and a config in, a table of region features out.

`photo_table(image_paths, config)` is the call every other stage makes (training, prediction,
input encoding); baselines that have an encoder's name but no config call
`cached_photo_features`. Both extract what the HDF5 cache lacks (`amnn.features.extraction`)
and read the features back here: in memory (`load_features`), or left in the file and read
a batch at a time (`cached_feature_rows`). `amnn.features` maps what lies behind.

Many posts share a photo (retweets, copies), so features are kept once per distinct
photo, and each post holds the row of its photo; posts without a photo point at a blank
last row. The encoder is built once per process (`shared_encoder`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np

from amnn.config import AMNNConfig
from amnn.features.cache_file import feature_cache_file
from amnn.features.cache_lock import CacheLock
from amnn.features.cache_rows import CachedFeatureRows, distinct_photos
from amnn.features.encoders import encoder_feature_shape, get_encoder
from amnn.features.extraction import MAX_PIXELS, ensure_features
from amnn.features.store import FeatureCache

__all__ = ["PhotoTable", "cached_feature_rows", "cached_photo_features", "load_features",
           "photo_table", "shared_encoder", "streams", "table_photos"]


@dataclass
class PhotoTable:
    """Region features of each distinct photo once, plus each post's row in the table.

    The last row is all zeros: posts without a photo point at it.

    Example:
        >>> table = PhotoTable(np.zeros((3, 49, 8), "float16"), np.array([0, 1, 1, 2], "int32"))
        >>> table.rows.tolist()
        [0, 1, 1, 2]
    """

    features: Union[np.ndarray, CachedFeatureRows]  # (U + 1, 49, C) float16, indexed alike
    rows: np.ndarray


def photo_table(image_paths: Sequence[str], config: AMNNConfig, progress: bool = True,
                extract: bool = True) -> PhotoTable:
    """The photos' features plus a blank last row that posts without a photo point at.

    Posts with a bad photo under --on-bad-image text-only get '' as their path, so they
    point at the blank row too. `extract` as in `cached_photo_features`. The features are
    a numpy array in memory, or, when `streams(image_paths, config)`, a
    `CachedFeatureRows` that reads each batch's rows from the cache file.

    Example:
        >>> from amnn.config import AMNNConfig
        >>> table = photo_table(["", ""], AMNNConfig(encoder="resnet50"))  # no photo: no cache
        >>> table.features.shape, table.rows.tolist()
        ((1, 49, 2048), [0, 0])
    """
    stream = streams(image_paths, config)
    features, rows = cached_photo_features(image_paths, config.encoder, config.encoder_weights,
                                           config.cache_dir, config.extract_batch_size, progress,
                                           extract, config.max_photo_pixels, stream)
    if not stream:
        features = np.concatenate([features, np.zeros((1,) + features.shape[1:], np.float16)])
    rows = np.where(rows < 0, len(features) - 1, rows).astype(np.int32)
    return PhotoTable(features, rows)


def streams(image_paths: Sequence[str], config: AMNNConfig) -> bool:
    """Whether `photo_table` reads features from the cache per batch instead of memory.

    `config.photo_features` decides; under "auto", when the distinct photos' features
    would take more than `config.photo_memory_mib` (1 GiB: ~8,500 photos at (49, 1280)
    float16). Held in memory they also become one TensorFlow constant, limited to 2 GB.

    Example:
        >>> from amnn.config import AMNNConfig
        >>> streams(["a.jpg"] * 9, AMNNConfig(photo_features="stream"))
        True
        >>> streams(["a.jpg", "b.jpg"], AMNNConfig())
        False
    """
    if config.photo_features != "auto" or not config.include_image:
        return config.photo_features == "stream" and config.include_image
    distinct = len(set(path for path in image_paths if path))
    row_bytes = 2 * int(np.prod(encoder_feature_shape(config.encoder)))
    return distinct * row_bytes > config.photo_memory_mib * 2 ** 20


def cached_photo_features(image_paths: Sequence[str], encoder_name: str,
                          encoder_weights: Optional[str] = None, cache_dir: Optional[str] = None,
                          batch_size: int = 32, progress: bool = True, extract: bool = True,
                          max_pixels: int = MAX_PIXELS, stream: bool = False):
    """Each distinct photo's region features, extracted once through the HDF5 cache.

    Returns (features float16 (U, 49, C), rows int32 per path; -1 for a post without photo).
    `extract=False` only reads the cache, for photos `amnn.features.photo_check` has just looked at
    (and extracted): checking every file against the cache again would be wasted time.
    A photo over `max_pixels` raises DataError (`AMNNConfig.max_photo_pixels`).
    `stream=True` leaves the features in the cache file: they come as a `CachedFeatureRows`
    of U + 1 rows, the last one blank.

    Example:
        A tiny untrained encoder registered as "tiny" (real runs name efficientnet_lite0)
        and a photo of the repository's test_dataset, cached in a temporary folder:

        >>> import pathlib, tempfile
        >>> import keras
        >>> import amnn
        >>> from amnn.features.encoders import register_encoder, registry
        >>> from amnn.features.encoders.image_encoder import ImageEncoder
        >>> def tiny(weights, cache_dir):
        ...     inputs = keras.Input((224, 224, 3))
        ...     grid = keras.layers.Conv2D(8, 32, strides=32)(inputs)  # (B, 7, 7, 8)
        ...     return ImageEncoder("tiny", keras.Model(inputs, grid), lambda x: x / 255.0, 8)
        >>> register_encoder("tiny", tiny, channels=8)
        >>> images = pathlib.Path(amnn.__file__).parent.parent / "test_dataset" / "images"
        >>> photo = str(images / "coffee_cup.jpg")
        >>> feats, rows = cached_photo_features([photo, "", photo], "tiny",
        ...                                     cache_dir=tempfile.mkdtemp(), progress=False)
        >>> feats.shape, feats.dtype, rows.tolist()
        ((1, 49, 8), dtype('float16'), [0, -1, 0])
        >>> shared_encoder.cache_clear(); _ = registry._REGISTRY.pop("tiny")  # forget "tiny"
    """
    if not any(image_paths):  # no photo: no encoder to build, no cache to read
        shape = encoder_feature_shape(encoder_name)
        return np.zeros((0 + stream, *shape), np.float16), np.full(len(image_paths), -1, np.int32)
    # The cache file is the encoder's weights' own, so even reading needs the encoder
    # (built once per process: photo_check has usually built it already).
    encoder = shared_encoder(encoder_name, encoder_weights, cache_dir)
    if extract:
        ensure_features(image_paths, encoder, cache_dir=cache_dir, batch_size=batch_size,
                        progress=progress, max_pixels=max_pixels)
    if stream:
        return cached_feature_rows(list(image_paths), encoder, cache_dir)
    return load_features(list(image_paths), encoder, cache_dir=cache_dir)


@functools.lru_cache(maxsize=2)
def shared_encoder(name: str, weights: Optional[str], cache_dir: Optional[str]):
    """The image encoder `name`, built once per process and shared by its callers.

    predict.py asks for photos chunk after chunk, and `amnn.features.photo_check` looks at the same
    photos first: building the network again each time would cost seconds. (No argument
    defaults: lru_cache would key `f(x)` and `f(x, None, None)` apart.)

    Example:
        A stand-in encoder registered as "tiny" that counts how often it is built:

        >>> from types import SimpleNamespace
        >>> from amnn.features.encoders import register_encoder, registry
        >>> builds = []
        >>> def build(weights, cache_dir):
        ...     builds.append(weights)
        ...     return SimpleNamespace(name="tiny", feature_shape=(49, 8))
        >>> register_encoder("tiny", build, channels=8)
        >>> first = shared_encoder("tiny", None, None)
        >>> shared_encoder("tiny", None, None) is first, len(builds)
        (True, 1)
        >>> shared_encoder.cache_clear(); _ = registry._REGISTRY.pop("tiny")  # forget "tiny"
    """
    return get_encoder(name, weights=weights, cache_dir=cache_dir)


def load_features(image_paths, encoder,
                  cache_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The cached features of distinct photos, and each input path's row among them.

    Many posts share a photo, so each photo is held once in memory.

    Args:
        image_paths: list of str. One photo path per post; '' (or None) for no photo.
        encoder: the encoder the features were extracted with (from `get_encoder`; its
            name, feature_shape and fingerprint choose and check the cache file).
        cache_dir: str or None. Cache folder; None uses `amnn.features.cache_file.cache_root()`.

    Returns:
        features: float16 array (U, 49, C), one row per distinct photo, in first-seen order.
        index: int32 array (len(image_paths),): the row of each path, -1 for no photo.

    Raises FeaturesNotCachedError when a photo has no features (run `ensure_features`).

    Example:
        A cache holding one photo's features, written here as `ensure_features` would (an
        encoder's name, feature shape and fingerprint are all it takes to find them):

        >>> import os, tempfile
        >>> from types import SimpleNamespace
        >>> from PIL import Image
        >>> enc = SimpleNamespace(name="efficientnet_lite0", feature_shape=(49, 1280),
        ...                       fingerprint="ab" * 32)
        >>> cache_dir = tempfile.mkdtemp()
        >>> photo = os.path.join(cache_dir, "a.jpg"); Image.new("RGB", (8, 8)).save(photo)
        >>> with FeatureCache(feature_cache_file(enc, cache_dir), enc.name, enc.feature_shape,
        ...                   fingerprint=enc.fingerprint) as cache:
        ...     _ = cache.write([photo], np.ones((1, 49, 1280)))
        >>> feats, index = load_features([photo, "", photo], enc, cache_dir)
        >>> feats.shape, feats.dtype, index.tolist()
        ((1, 49, 1280), dtype('float16'), [0, -1, 0])
        >>> rows, index = cached_feature_rows([photo, ""], enc, cache_dir)  # left on disk
        >>> rows.shape, rows[[0, 1]][:, 0, 0].tolist()  # row 1: the blank row
        ((2, 49, 1280), [1.0, 0.0])
        >>> rows.close()
        >>> load_features([os.path.join(cache_dir, "b.jpg")], enc, cache_dir)
        Traceback (most recent call last):
        ...
        amnn.features.store.FeaturesNotCachedError: .../b.jpg: no features in the cache ...
    """
    return _read(image_paths, encoder, cache_dir, stream=False)


def cached_feature_rows(image_paths, encoder, cache_dir=None) -> tuple[CachedFeatureRows,
                                                                         np.ndarray]:
    """Like `load_features`, but the features stay on disk.

    Returns (CachedFeatureRows of the distinct photos in first-seen order plus the blank
    row, int32 row of each path among them, -1 for no photo). Raises
    FeaturesNotCachedError when a photo has no features in `encoder`'s cache (run
    `ensure_features` first).
    """
    return _read(image_paths, encoder, cache_dir, stream=True)


def _read(image_paths, encoder, cache_dir, stream: bool):
    unique, index = distinct_photos(image_paths)
    if isinstance(encoder, str):
        raise TypeError(f"load_features needs the encoder from get_encoder({encoder!r}, "
                        "weights=...), not its name: the cache file depends on the weights")
    shape = tuple(encoder.feature_shape)
    if not unique and not stream:  # no photos at all: no cache file is needed
        return np.zeros((0, *shape), np.float16), index
    path = feature_cache_file(encoder, cache_dir)
    with FeatureCache(path, encoder.name, shape, mode="r",
                      fingerprint=encoder.fingerprint) as cache:
        if not stream:
            return cache.read(unique), index
        rows = cache.file_rows(unique)
        # The rows found must stay the rows read: hold the lock from finding them on.
        lock = CacheLock(path, exclusive=False).acquire()  # counted: it stays when cache closes
    return CachedFeatureRows(path, rows, lock), index


def table_photos(features, rows) -> tuple:
    """A photo table's features and rows (its last row is the blank one posts without a
    photo point at) as a caption retriever's `fit` and `predict` take them (-1: none).

    Example:
        >>> table_photos(np.zeros((3, 49, 8)), np.array([0, 2, 1]))[1].tolist()
        [0, -1, 1]
    """
    blank = len(features) - 1
    return features, np.where(np.asarray(rows) == blank, -1, rows)
