"""Pretrained image encoders that turn a photo into 7x7 region features.

Importing this package does not load TensorFlow: the registry knows each encoder's name
and feature shape, and `get_encoder` builds the network. The encoder class itself is
`amnn.features.encoders.image_encoder.ImageEncoder`.

Example:
    >>> from amnn.features.encoders import encoder_feature_shape, get_encoder
    >>> encoder_feature_shape("efficientnet_lite0")
    (49, 1280)
    >>> encoder = get_encoder("efficientnet_lite0")   # doctest: +SKIP
"""

from amnn.features.encoders.registry import (
                                             encoder_feature_shape,
                                             encoder_names,
                                             get_encoder,
                                             register_encoder,
)

__all__ = ["encoder_feature_shape", "encoder_names", "get_encoder", "register_encoder"]
