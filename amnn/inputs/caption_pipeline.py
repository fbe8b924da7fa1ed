"""tf.data batches for the caption model: hashtag ids, photo rows, caption word ids.

Like `amnn.inputs.pipeline` for hashtags: each photo's features are stored once and
gathered per batch, and a batch is padded only to its own longest caption and tag list.

Example:
    >>> from amnn.inputs.caption_encoding import CaptionPosts
    >>> posts = CaptionPosts([[4, 5], []], None, [[2, 3, 9], [7, 9]])
    >>> inputs, targets = next(iter(caption_dataset(posts, None, batch_size=2, bos=8)))
    >>> inputs["caption_inputs"].numpy().tolist(), targets.numpy().tolist()
    ([[8, 2, 3], [8, 7, 0]], [[2, 3, 9], [7, 9, 0]])
    >>> inputs["tag_ids"].numpy().tolist()
    [[4, 5], [0, 0]]
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import tensorflow as tf

from amnn.inputs.caption_encoding import CaptionPosts
from amnn.inputs.pipeline import batched_dataset, padded_ids


def caption_teacher_inputs(targets: tf.Tensor, bos: int) -> tf.Tensor:
    """Decoder inputs for padded targets: BOS then the targets shifted right, PAD kept.

    Example:
        >>> caption_teacher_inputs(tf.constant([[5, 6, 9], [7, 9, 0]]), bos=8).numpy().tolist()
        [[8, 5, 6], [8, 7, 0]]
    """
    shifted = tf.concat([tf.fill([tf.shape(targets)[0], 1], bos), targets[:, :-1]], axis=1)
    return tf.where(tf.equal(targets, 0), tf.zeros_like(shifted), shifted)


def caption_dataset(posts: CaptionPosts, features: Optional[np.ndarray], batch_size: int,
                    bos: int, shuffle: bool = False, seed: int = 0) -> tf.data.Dataset:
    """(inputs dict, targets) batches for `model.fit` on caption posts with targets."""
    if len(posts) == 0:
        raise ValueError("caption_dataset needs at least one post")

    def to_model_inputs(batch, photos):
        targets = batch["targets"].to_tensor(0)
        inputs = {"caption_inputs": caption_teacher_inputs(targets, bos)}
        if "tag_ids" in batch:  # posts without a known tag: one padding column
            inputs["tag_ids"] = padded_ids(batch["tag_ids"])
        if photos is not None:
            inputs["image_regions"] = photos(batch["image_rows"])
        return inputs, targets

    return batched_dataset({"targets": posts.targets, "tag_ids": posts.tag_ids},
                           posts.image_rows, features, batch_size, to_model_inputs,
                           shuffle, seed)
