"""Each post's photo as a row of one feature table, read through the HDF5 cache.

Many posts share a photo (retweets, copies), so features are kept once per distinct
photo, and each post holds the row of its photo; posts without a photo point at a blank
last row. The encoder is built once per process (`shared_encoder`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from amnn.config import AMNNConfig
from amnn.features.encoders import get_encoder
from amnn.features.extraction import MAX_PIXELS, ensure_features, load_features


@dataclass
class PhotoTable:
    """Region features of each distinct photo once, plus each post's row in the table.

    The last row is all zeros: posts without a photo point at it.

    Example:
        >>> table = PhotoTable(np.zeros((3, 49, 8), "float16"), np.array([0, 1, 1, 2], "int32"))
        >>> table.rows.tolist()
        [0, 1, 1, 2]
    """

    features: np.ndarray
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
                          max_pixels: int = MAX_PIXELS):
    """Each distinct photo's region features, extracted once through the HDF5 cache.

    Returns (features float16 (U, 49, C), rows int32 per path; -1 for a post without photo).
    `extract=False` only reads the cache, for photos `amnn.features.photo_check` has just looked at
    (and extracted): checking every file against the cache again would be wasted time.
    A photo over `max_pixels` raises DataError (`AMNNConfig.max_photo_pixels`).

    Example:
        >>> feats, rows = cached_photo_features(["a.jpg", "", "a.jpg"], "efficientnet_lite0")
        ... # doctest: +SKIP
        >>> rows.tolist()  # doctest: +SKIP
        [0, -1, 0]
    """
    if extract and any(image_paths):
        encoder = shared_encoder(encoder_name, encoder_weights, cache_dir)
        ensure_features(image_paths, encoder, cache_dir=cache_dir, batch_size=batch_size,
                        progress=progress, max_pixels=max_pixels)
    return load_features(list(image_paths), encoder_name, cache_dir=cache_dir)


def photo_table(image_paths: Sequence[str], config: AMNNConfig, progress: bool = True,
                extract: bool = True) -> PhotoTable:
    """The photos' features plus a blank last row that posts without a photo point at.

    Posts with a bad photo under --on-bad-image text-only get '' as their path, so they
    point at the blank row too. `extract` as in `cached_photo_features`.
    """
    features, rows = cached_photo_features(image_paths, config.encoder, config.encoder_weights,
                                           config.cache_dir, config.extract_batch_size, progress,
                                           extract, config.max_photo_pixels)
    blank = np.zeros((1,) + features.shape[1:], np.float16)
    rows = np.where(rows < 0, len(features), rows).astype(np.int32)
    return PhotoTable(np.concatenate([features, blank]), rows)

