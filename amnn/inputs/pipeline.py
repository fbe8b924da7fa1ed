"""tf.data input pipelines that feed AMNN: token ids, not one-hot; each photo stored once.

The published code built dense one-hot tensors (batch, steps, vocabulary) and copied the
image vector to every step in a Python generator. Here a post is three small things:
its caption ids, the row of its photo in a float16 feature table, and its hashtag ids.
Batches are padded only to their own longest caption and tag list.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import tensorflow as tf

from amnn.data.vocabulary import BOS
from amnn.inputs.encoding import EncodedPosts


def ragged_rows(rows: Sequence[Sequence[int]]) -> tf.RaggedTensor:
    """A ragged int32 tensor built from flat numpy arrays (fast for 100k+ rows)."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter((i for r in rows for i in r), dtype=np.int32, count=int(lengths.sum()))
    return tf.RaggedTensor.from_row_lengths(flat, lengths)


def teacher_forcing_inputs(targets: tf.Tensor) -> tf.Tensor:
    """Decoder inputs for padded targets: BOS then the targets shifted right, PAD kept.

    Example:
        >>> teacher_forcing_inputs(tf.constant([[5, 6, 2], [7, 2, 0]])).numpy().tolist()
        [[1, 5, 6], [1, 7, 0]]
    """
    shifted = tf.concat([tf.fill([tf.shape(targets)[0], 1], BOS), targets[:, :-1]], axis=1)
    return tf.where(tf.equal(targets, 0), tf.zeros_like(shifted), shifted)


def make_dataset(posts: EncodedPosts, features: Optional[np.ndarray], batch_size: int,
                 shuffle: bool = False, seed: int = 0) -> tf.data.Dataset:
    """A dataset of (inputs dict, targets) batches for `model.fit` / `model.evaluate`.

    Args:
        posts: EncodedPosts with targets.
        features: float16 array (U, 49, C), the photo table that `image_rows` index, or None.
        batch_size: int. Posts per batch.
        shuffle: bool. Reshuffle every epoch (training).
        seed: int. Shuffle seed.

    Example:
        >>> posts = EncodedPosts([[4, 5], [6]], None, [[7, 2], [8, 9, 2]])
        >>> inputs, targets = next(iter(make_dataset(posts, None, batch_size=2)))
        >>> inputs["tag_inputs"].numpy().tolist(), targets.numpy().tolist()
        ([[1, 7, 0], [1, 8, 9]], [[7, 2, 0], [8, 9, 2]])
    """
    if len(posts) == 0:
        raise ValueError("make_dataset needs at least one post")
    columns = {"targets": ragged_rows(posts.targets)}
    if posts.text_ids is not None:
        columns["text_ids"] = ragged_rows(posts.text_ids)
    if posts.image_rows is not None:
        columns["image_rows"] = tf.constant(posts.image_rows, dtype=tf.int32)
    dataset = tf.data.Dataset.from_tensor_slices(columns)
    if shuffle:
        dataset = dataset.shuffle(len(posts), seed=seed, reshuffle_each_iteration=True)
    # The photo table sits in memory once; batches gather their rows from it.
    table = None if features is None else tf.constant(features, dtype=tf.float16)

    def to_model_inputs(batch):
        targets = batch["targets"].to_tensor(0)
        inputs = {"tag_inputs": teacher_forcing_inputs(targets)}
        if "text_ids" in batch:
            text = batch["text_ids"].to_tensor(0)
            width = tf.maximum(tf.shape(text)[1], 1)  # an all-empty batch still has one column
            inputs["text_ids"] = tf.pad(text, [[0, 0], [0, width - tf.shape(text)[1]]])
        if table is not None:
            inputs["image_regions"] = tf.gather(table, batch["image_rows"])
        return inputs, targets

    dataset = dataset.ragged_batch(batch_size).map(to_model_inputs,
                                                   num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
