"""Training losses of the hashtag decoder.

A post's hashtags are a set, but a decoder emits them one after another. The classic
teacher-forced loss (`next`) asks for exactly the next tag in one fixed order, so a model
that says "#boston" first where the target order had "#marathon" is punished, although
both are right. With few posts per tag this teaches the order more than the tags.

`RemainingTagsLoss` (`remaining`) keeps teacher forcing for the inputs but scores each
step against every tag of the post not yet given: the step's loss is the mean negative
log-probability of those remaining tags, and EOS is the target once none remain. The
first step then learns the post's whole tag set, which is what ranking and greedy
decoding read from it (the order-free training of Chen et al., "Order-Free RNN with
Visual Attention for Multi-Label Classification", AAAI 2018).
"""

from __future__ import annotations

import keras
from keras import ops

from amnn.data.vocabulary import PAD, UNK


@keras.saving.register_keras_serializable(package="amnn")
class RemainingTagsLoss(keras.losses.Loss):
    """Cross-entropy of each decoder step against all tags the post has not yet given.

    `y_true` holds the target ids (B, L) as for sparse cross-entropy: tags, then EOS, then
    PAD. `y_pred` holds logits (B, L, V). Padded steps are ignored.

    Args:
        name: str. The loss name.

    Example:
        >>> import numpy as np
        >>> loss = RemainingTagsLoss()
        >>> logits = np.log(np.array([[[.01, .01, .01, .01, .48, .48],
        ...                            [.01, .01, .01, .01, .01, .95]]], "float32"))
        >>> round(float(loss(np.array([[4, 5]]), logits)), 3)  # both steps want {4, 5}, then {5}
        0.393
    """

    def __init__(self, name: str = "remaining_tags_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        steps = ops.shape(y_true)[1]
        # scores[b, t, j] = log p_t(y_j): every step's log-probability of every target id.
        index = ops.repeat(ops.expand_dims(y_true, 1), steps, axis=1)
        scores = ops.take_along_axis(log_probs, index, axis=2)
        position = ops.arange(steps)
        later = ops.greater_equal(position[None, :], position[:, None])  # j >= t
        is_tag = ops.greater(y_true, UNK)[:, None, :]
        remaining = ops.cast(ops.logical_and(later[None, :, :], is_tag), "float32")
        count = ops.sum(remaining, axis=2)
        tag_loss = -ops.sum(scores * remaining, axis=2) / ops.maximum(count, 1.0)
        # No tag left: the target is the step's own id, which is EOS.
        own = -ops.squeeze(ops.take_along_axis(log_probs, y_true[:, :, None], axis=2), -1)
        per_step = ops.where(count > 0, tag_loss, own)
        real = ops.cast(ops.not_equal(y_true, PAD), "float32")
        # Mean over real steps of the batch, as the masked sparse cross-entropy does.
        return ops.sum(per_step * real, axis=1) / ops.maximum(ops.sum(real, axis=1), 1.0)

    def get_config(self) -> dict:
        return {"name": self.name}


def make_tag_loss(name: str) -> keras.losses.Loss:
    """The decoder loss for a `AMNNConfig.tag_loss` name: "next" or "remaining".

    Example:
        >>> type(make_tag_loss("remaining")).__name__
        'RemainingTagsLoss'
    """
    if name == "next":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=PAD)
    if name == "remaining":
        return RemainingTagsLoss()
    raise ValueError(f"tag_loss must be 'next' or 'remaining', received {name!r}")
