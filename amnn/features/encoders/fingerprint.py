"""What an image encoder's features depend on, as one sha256: the key of its feature cache.

Two encoders of one name can give different features: other weights (`--encoder-weights`,
a fine-tuned file), another preprocessing, another way of reading photos. The feature cache
is therefore keyed by a fingerprint of all of them, never by the name alone:

- the encoder's name, feature shape, input side and compute dtype;
- its preprocessing: a version string the encoder declares (the built-in ones do), else the
  code of its `normalize` function, plus `PREPARE` (how a photo is cropped and resized)
  and `amnn.features.store.PHOTO_READING` (how a file becomes upright pixels);
- its weights: sha256 over every weight array of the Keras model, in order, with its
  dtype and shape. Hashing the arrays (not a weights file) covers every source alike:
  the converted Lite0 cache, a `.pth`, a Keras download, weights set in memory. It takes
  about 0.03 s for efficientnet_lite0 and 0.1 s for resnet50 on one core, once per encoder.

Example:
    >>> import keras
    >>> inputs = keras.Input((224, 224, 3))
    >>> model = keras.Model(inputs, keras.layers.Conv2D(8, 32, strides=32)(inputs))
    >>> parts = fingerprint_parts("tiny", (49, 8), "x / 255, v1", 224, model)
    >>> len(encoder_fingerprint(parts)), parts["preprocessing"]
    (64, 'x / 255, v1')
    >>> model.set_weights([w * 0 for w in model.get_weights()])
    >>> weights_digest(model) == parts["weights"]  # other weights, another fingerprint
    False
"""

from __future__ import annotations

import hashlib
import json
import types

import numpy as np

from amnn.features.store import PHOTO_READING

__all__ = ["PREPARE", "encoder_fingerprint", "fingerprint_parts", "function_identity",
           "weights_digest"]

FINGERPRINT_VERSION = 1  # how the parts are put together; change it if they change
# How `ImageEncoder.prepare` turns pixels into a square input; change it with that code.
PREPARE = "center-crop-square, antialiased-bilinear-resize, v1"


def weights_digest(model) -> str:
    """sha256 hex over every weight array of a Keras model: its dtype, shape and bytes."""
    digest = hashlib.sha256()
    for weight in model.weights:
        values = np.ascontiguousarray(np.asarray(weight.numpy() if hasattr(weight, "numpy")
                                                 else weight))
        digest.update(f"{values.dtype.str}{values.shape};".encode("ascii"))
        digest.update(memoryview(values).cast("B"))
    return digest.hexdigest()


def _code_bytes(code: types.CodeType, digest) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:  # a nested function's code: recurse (its repr holds an address)
        if isinstance(const, types.CodeType):
            _code_bytes(const, digest)
        else:
            digest.update(repr(const).encode())


def function_identity(fn) -> str:
    """A stable description of a preprocessing callable: its name and a hash of its code.

    Constants of the code count (`x / 255.0` and `x / 127.5` differ); values it reads
    from outside (globals, closures) do not: an encoder whose preprocessing depends on
    those should declare a `preprocessing` version string instead.

    Example:
        >>> function_identity(lambda x: x / 255.0) == function_identity(lambda x: x / 127.5)
        False
    """
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    code = getattr(fn, "__code__", None)
    if code is None:
        return name
    digest = hashlib.sha256()
    _code_bytes(code, digest)
    return f"{name} code:{digest.hexdigest()[:16]}"


def fingerprint_parts(name: str, feature_shape, preprocessing: str, image_size: int,
                      model) -> dict:
    """Everything an encoder's features depend on, as a JSON-ready dict."""
    policy = getattr(model, "dtype_policy", None)
    return {"version": FINGERPRINT_VERSION, "encoder": name,
            "feature_shape": [int(d) for d in feature_shape], "image_size": int(image_size),
            "dtype_policy": getattr(policy, "name", str(policy)),
            "preprocessing": preprocessing, "prepare": PREPARE, "photo_reading": PHOTO_READING,
            "weights": weights_digest(model)}


def encoder_fingerprint(parts: dict) -> str:
    """sha256 hex of `fingerprint_parts`: equal exactly when every part is equal."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
