"""An image encoder: a pretrained CNN with its preprocessing, giving 7x7 region features.

AMNN attends over the regions of the CNN's last feature map, so each encoder gives
(49, C) features per image. `amnn.features.encoders.registry` builds one by name.

Usage (building the real encoder loads its pretrained weights, too slow for a doctest;
`ImageEncoder`'s example runs the same steps with a tiny untrained CNN):

    encoder = get_encoder("efficientnet_lite0")
    batch = tf.stack([encoder.prepare(photo) for photo in photos])  # decoded RGB uint8
    encoder.encode_batch(batch).shape   # TensorShape([len(photos), 49, 1280])

tests/features/test_encoders.py::test_lite0_region_features_feed_the_classifier runs it
with the real weights on the cat photo.
"""

from __future__ import annotations

import functools
from typing import Callable, Optional, Tuple

import keras
import tensorflow as tf

from amnn.features.encoders.fingerprint import (
    encoder_fingerprint,
    fingerprint_parts,
    function_identity,
)


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
        preprocessing: str or None. Names `normalize` and its version, e.g.
            "efficientnet-lite (x - 127) / 128, v1"; change it whenever `normalize` changes.
            None: the identity of `normalize`'s code (see `fingerprint.function_identity`).

    Example:
        A tiny untrained CNN whose 7x7 output grid has 8 channels; the built-in encoders
        come from `amnn.features.encoders.get_encoder("efficientnet_lite0")`.

        >>> import pathlib
        >>> import amnn
        >>> inputs = keras.Input((224, 224, 3))
        >>> grid = keras.layers.Conv2D(8, 32, strides=32)(inputs)   # (B, 7, 7, 8)
        >>> encoder = ImageEncoder("tiny", keras.Model(inputs, grid), lambda x: x / 255.0,
        ...                        channels=8)
        >>> encoder
        ImageEncoder('tiny', feature_shape=(49, 8))
        >>> folder = pathlib.Path(amnn.__file__).parent.parent / "dataset" / "images"
        >>> photos = [str(folder / "coffee.jpg"), str(folder / "chelsea.jpg")]
        >>> def decode(path):
        ...     return tf.io.decode_image(tf.io.read_file(path), channels=3,
        ...                               expand_animations=False)
        >>> images = (tf.data.Dataset.from_tensor_slices(photos).map(decode)
        ...           .map(encoder.prepare).batch(32))
        >>> [encoder.encode_batch(batch).shape for batch in images]
        [TensorShape([2, 49, 8])]
        >>> len(encoder.fingerprint)  # sha256 hex: what its features depend on, weights included
        64
    """

    def __init__(self, name: str, model: keras.Model, normalize: Callable[[tf.Tensor], tf.Tensor],
                 channels: int, image_size: int = 224, grid: int = 7,
                 preprocessing: Optional[str] = None) -> None:
        expected = (None, grid, grid, channels)
        if tuple(model.output_shape) != expected:
            raise ValueError(f"model for encoder {name!r} outputs {model.output_shape}, "
                             f"expected {expected}")
        self.name, self.model, self.normalize = name, model, normalize
        self.channels, self.image_size, self.grid = channels, image_size, grid
        self.preprocessing = preprocessing or function_identity(normalize)
        self.encode_batch = tf.function(self._encode, reduce_retracing=True)

    @property
    def feature_shape(self) -> Tuple[int, int]:
        """(regions, channels) of one image's features, e.g. (49, 1280)."""
        return (self.grid * self.grid, self.channels)

    @functools.cached_property
    def fingerprint(self) -> str:
        """sha256 hex of what the features depend on: name, shape, preprocessing, weights.

        The key of this encoder's feature cache (`amnn.features.extraction.feature_cache_file`);
        see `amnn.features.encoders.fingerprint`. Taken once, on first use (hashing the
        weights takes a fraction of a second): build a new encoder for other weights.
        """
        return encoder_fingerprint(fingerprint_parts(self.name, self.feature_shape,
                                                     self.preprocessing, self.image_size,
                                                     self.model))

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
