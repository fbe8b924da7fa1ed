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


def make_dataset(posts: EncodedPosts, features, batch_size: int, shuffle: bool = False,
                 seed: int = 0, photo_index: bool = True) -> tf.data.Dataset:
    """A dataset of (inputs dict, targets) batches for `model.fit` / `model.evaluate`.

    Args:
        posts: EncodedPosts with targets.
        features: the photo table that `image_rows` index (float16 (U, 49, C): a numpy
            array, or `amnn.features.cache_rows.CachedFeatureRows`), or None.
        batch_size: int. Posts per batch.
        shuffle: bool. Reshuffle every epoch (training).
        seed: int. Shuffle seed.
        photo_index: bool. `image_regions` holds each distinct photo of the batch once and
            `image_index` each post's row among them (the network projects every photo
            once); False: one photo per post, as a batch split between replicas needs.
            The model must be built with the same flag (`AMNNNetwork.training_model`).

    Example:
        >>> posts = EncodedPosts([[4, 5], [6]], None, [[7, 2], [8, 9, 2]])
        >>> inputs, targets = next(iter(make_dataset(posts, None, batch_size=2)))
        >>> inputs["tag_inputs"].numpy().tolist(), targets.numpy().tolist()
        ([[1, 7, 0], [1, 8, 9]], [[7, 2, 0], [8, 9, 2]])
    """
    if len(posts) == 0:
        raise ValueError("make_dataset needs at least one post")

    def to_model_inputs(batch, photos):
        targets = batch["targets"].to_tensor(0)
        inputs = {"tag_inputs": teacher_forcing_inputs(targets)}
        if "text_ids" in batch:
            inputs["text_ids"] = padded_ids(batch["text_ids"])
        if photos is not None and photo_index:
            distinct, inputs["image_index"] = tf.unique(batch["image_rows"], tf.int32)
            inputs["image_regions"] = photos(distinct)
        elif photos is not None:
            inputs["image_regions"] = photos(batch["image_rows"])
        return inputs, targets

    return batched_dataset({"targets": posts.targets, "text_ids": posts.text_ids},
                           posts.image_rows, features, batch_size, to_model_inputs,
                           shuffle, seed)


def padded_ids(ragged: tf.RaggedTensor) -> tf.Tensor:
    """A ragged batch of id rows padded with 0, at least one column wide.

    Example:
        >>> padded_ids(tf.ragged.constant([[], []], dtype=tf.int32)).shape.as_list()
        [2, 1]
    """
    ids = ragged.to_tensor(0)
    width = tf.maximum(tf.shape(ids)[1], 1)  # an all-empty batch still has one column
    return tf.pad(ids, [[0, 0], [0, width - tf.shape(ids)[1]]])


def batched_dataset(id_rows: dict, image_rows: Optional[np.ndarray], features,
                    batch_size: int, to_model_inputs, shuffle: bool = False,
                    seed: int = 0) -> tf.data.Dataset:
    """Posts' id lists and photo rows in padded batches, mapped by `to_model_inputs`.

    Shared by the hashtag and the caption pipelines. `id_rows` maps a name to each post's
    id list (None entries are left out); `to_model_inputs(batch, photos)` turns a batch of
    ragged ids and photo rows into (inputs, targets), with `photos(rows)` the features of
    table rows (float16 (N, 49, C)), or None without `features`.
    """
    columns = {name: ragged_rows(rows) for name, rows in id_rows.items() if rows is not None}
    if image_rows is not None:
        columns["image_rows"] = tf.constant(image_rows, dtype=tf.int32)
    count = len(image_rows) if image_rows is not None else \
        len(next(rows for rows in id_rows.values() if rows is not None))
    # The shuffle buffer holds every post, so it holds post numbers, not the posts' ragged
    # ids: a scalar per post instead of several small tensors (1M posts: 0.5 GB less). The
    # order is the same, as a shuffle depends only on the positions and the seed. Each
    # batch then gathers its posts' ids at once.
    dataset = tf.data.Dataset.range(count)
    if shuffle:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    photos = None if features is None else photo_reader(features)

    def batch_of(posts):  # a batch of post numbers -> its ragged ids and photo rows
        return to_model_inputs({name: tf.gather(values, posts)
                                for name, values in columns.items()}, photos)

    dataset = dataset.batch(batch_size).map(batch_of, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def photo_reader(features):
    """`rows -> features[rows]` as a TensorFlow function, for an array or a cache reader.

    A numpy table sits in memory once, as one constant that batches gather from; a
    `CachedFeatureRows` is read row by row from its file (bounded memory).

    Example:
        >>> photos = photo_reader(np.arange(12, dtype="float16").reshape(3, 2, 2))
        >>> photos(tf.constant([2, 0])).numpy()[:, 0, 0].tolist()
        [8.0, 0.0]
    """
    if isinstance(features, np.ndarray):
        table = tf.constant(features, dtype=tf.float16)
        return lambda rows: tf.gather(table, rows)
    row_shape = tuple(features.shape[1:])

    def read(rows):
        out = tf.numpy_function(features.__getitem__, [rows], tf.float16, stateful=False)
        return tf.ensure_shape(out, (None, *row_shape))

    return read
