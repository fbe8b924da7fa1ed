"""Nearest-neighbour votes over hashtags, for the neighbour memory's views.

Each view of the memory (`amnn.model.neighbours`) has items -- remembered posts, or distinct
photos -- and a sparse (items, V) matrix saying which tags each item carries: a 1 per tag of
a post, or a photo's tag shares (the share of its posts that carry each tag, so a photo
posted 300 times votes as one photo, as the image-kNN baseline votes). A query's `k` most
similar items vote for their tags with their similarity; the vote is that, summed and
scaled to a distribution.

Example:
    >>> carriers = as_sparse_tensor(carrier_matrix(np.array([[4, 0], [5, 4]]), 6))
    >>> vote, near, rows = top_k_vote(tf.constant([[1.0, 0.5]]), 2, carriers)
    >>> [round(float(v), 2) for v in vote[0]]
    [0.0, 0.0, 0.0, 0.0, 0.75, 0.25]
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from scipy import sparse

from amnn.data.vocabulary import PAD, UNK


def carrier_matrix(tags: np.ndarray, tag_vocab_size: int) -> sparse.csr_matrix:
    """Padded tag ids (items, T) -> scipy (items, V) with a 1 where an item carries a tag."""
    rows, slots = np.nonzero(tags > UNK)
    return sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, tags[rows, slots])),
                             shape=(len(tags), tag_vocab_size))


def as_sparse_tensor(matrix: sparse.spmatrix) -> tf.sparse.SparseTensor:
    """A scipy matrix as a reordered tf.sparse.SparseTensor (float32)."""
    coo = sparse.coo_matrix(matrix, dtype=np.float32)
    return tf.sparse.reorder(tf.sparse.SparseTensor(
        np.stack([coo.row, coo.col], axis=1).astype(np.int64), coo.data, coo.shape))


def towards_given(similarity, carriers: tf.sparse.SparseTensor, given) -> tf.Tensor:
    """Similarity (B, M) with the items carrying none of a row's given tags (B, V) pushed
    below any cosine, so they come last and vote with 0 -- unless no item carries any."""
    shared = tf.sparse.sparse_dense_matmul(carriers, tf.cast(given, tf.float32), adjoint_b=True)
    carries = tf.transpose(shared) > 0
    any_carrier = tf.reduce_any(carries, axis=1, keepdims=True)
    return tf.where(tf.logical_and(any_carrier, tf.logical_not(carries)), -2.0, similarity)


def top_k_vote(similarity, k: int, carriers: tf.sparse.SparseTensor):
    """(vote (B, V), similarities (B, k), item rows (B, k)) of each row's `k` nearest items.

    A neighbour votes with its similarity, clipped at 0 (a dissimilar item must not vote
    against its tags); the vote is scaled to sum 1 (a row without any vote stays 0).
    """
    near, rows = tf.math.top_k(similarity, k=k)
    near = tf.maximum(near, 0.0)
    batch = tf.shape(similarity)[0]
    indices = tf.stack([tf.repeat(tf.range(batch), k), tf.reshape(rows, [-1])], axis=1)
    weights = tf.scatter_nd(indices, tf.reshape(near, [-1]), tf.shape(similarity))
    # (V, items) x (items, B): every row's weighted tags at once.
    counts = tf.transpose(tf.sparse.sparse_dense_matmul(carriers, weights, adjoint_a=True,
                                                        adjoint_b=True))
    counts = counts * tf.cast(tf.range(tf.shape(counts)[1]) != PAD, tf.float32)
    vote = tf.math.divide_no_nan(counts, tf.reduce_sum(counts, axis=-1, keepdims=True))
    return vote, near, rows
