"""Each post's photo as a row of one feature table, read through the HDF5 cache.

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
from amnn.features.encoders import encoder_feature_shape, get_encoder
from amnn.features.extraction import MAX_PIXELS, ensure_features, load_features
from amnn.features.feature_rows import CachedFeatureRows, cached_feature_rows


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


@functools.lru_cache(maxsize=2)
def shared_encoder(name: str, weights: Optional[str], cache_dir: Optional[str]):
    """The image encoder `name`, built once per process and shared by its callers.

    predict.py asks for photos chunk after chunk, and `amnn.features.photo_check` looks at the same
    photos first: building the network again each time would cost seconds. (No argument
    defaults: lru_cache would key `f(x)` and `f(x, None, None)` apart.)

    Example:
        >>> first = shared_encoder("efficientnet_lite0", None, None)  # doctest: +SKIP
        >>> shared_encoder("efficientnet_lite0", None, None) is first  # doctest: +SKIP
        True
    """
    return get_encoder(name, weights=weights, cache_dir=cache_dir)


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
        >>> feats, rows = cached_photo_features(["a.jpg", "", "a.jpg"], "efficientnet_lite0")
        ... # doctest: +SKIP
        >>> rows.tolist()  # doctest: +SKIP
        [0, -1, 0]
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


def photo_table(image_paths: Sequence[str], config: AMNNConfig, progress: bool = True,
                extract: bool = True) -> PhotoTable:
    """The photos' features plus a blank last row that posts without a photo point at.

    Posts with a bad photo under --on-bad-image text-only get '' as their path, so they
    point at the blank row too. `extract` as in `cached_photo_features`. The features are
    a numpy array in memory, or, when `streams(image_paths, config)`, a
    `CachedFeatureRows` that reads each batch's rows from the cache file.
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
