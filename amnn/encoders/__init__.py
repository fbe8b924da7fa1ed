"""Pretrained image encoders that turn a photo into 7x7 region features.

Example:
    >>> from amnn.encoders import get_encoder, encoder_feature_shape
    >>> encoder_feature_shape("efficientnet_lite0")
    (49, 1280)
    >>> encoder = get_encoder("efficientnet_lite0")   # doctest: +SKIP
"""

from amnn.encoders.registry import (ENCODER_NAMES, ImageEncoder, encoder_feature_shape,
                                    get_encoder, register_encoder)

__all__ = ["ENCODER_NAMES", "ImageEncoder", "encoder_feature_shape", "get_encoder",
           "register_encoder"]
