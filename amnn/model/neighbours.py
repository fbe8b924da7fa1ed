"""A neighbour memory: the training posts' own encodings, voted at prediction time.

Retrieval-augmented decoding in the manner of kNN-LM (Khandelwal et al., ICLR 2020): after
training, the network's fused encoding of every training post (the decoder's first state)
is kept with that post's hashtags. A new post's encoding finds its `neighbors` nearest
training posts by cosine similarity; each votes for its tags with its similarity, and the
vote, as a distribution over hashtags, is mixed into the decoder's:

    p(tag) = (1 - weight) * softmax(decoder logits) + weight * vote(tag)

The vote keeps what nearest neighbours are good at (near-copies, place names, tags seen two
or three times) while the network generalises. Because the encoding blurs exact words, the
similarity can also take the captions' TF-IDF word vectors into account
(`amnn.model.word_bags`):

    similarity = (1 - text_share) * cos(encodings) + text_share * cos(TF-IDF word vectors)
 It is stored as plain arrays in the model
folder (`neighbours.npz`, read with `allow_pickle=False`).
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from amnn.data.vocabulary import PAD, UNK
from amnn.inputs.encoding import EncodedPosts, input_batches
from amnn.model.word_bags import WordBags


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def pad_tag_rows(tag_ids: list[list[int]]) -> np.ndarray:
    """Lists of hashtag ids -> an int32 matrix padded with PAD (0).

    Example:
        >>> pad_tag_rows([[5, 6], [7]]).tolist()
        [[5, 6], [7, 0]]
    """
    width = max([len(row) for row in tag_ids] + [1])
    table = np.full((len(tag_ids), width), PAD, np.int32)
    for i, row in enumerate(tag_ids):
        table[i, : len(row)] = row
    return table


class NeighbourMemory:
    """Training encodings and their hashtags; votes for the tags of a query's neighbours.

    Args:
        keys: float array (N, D). The fused encodings of the N training posts.
        tags: int array (N, T). Their hashtag ids, padded with PAD (0).
        tag_vocab_size: int. Size of the hashtag vocabulary (ids 0..V-1).
        neighbors: int. How many nearest training posts vote.
        weight: float in [0, 1]. The vote's share of the mixed distribution.
        words: WordBags or None. The training captions' word vectors (text models only).
        text_share: float in [0, 1]. The word vectors' share of the similarity.

    Example:
        >>> memory = NeighbourMemory(np.eye(3), pad_tag_rows([[4], [5], [4, 6]]),
        ...                          tag_vocab_size=7, neighbors=2, weight=0.5)
        >>> vote = memory.vote(np.array([[1.0, 0.0, 1.0]])).numpy()
        >>> [round(float(v), 2) for v in vote[0, 4:]]
        [0.67, 0.0, 0.33]
    """

    def __init__(self, keys: np.ndarray, tags: np.ndarray, tag_vocab_size: int,
                 neighbors: int, weight: float, words: WordBags | None = None,
                 text_share: float = 0.0):
        if len(keys) != len(tags) or len(keys) == 0:
            raise ValueError(f"need one tag row per key and at least one key, got "
                             f"{len(keys)} keys and {len(tags)} tag rows")
        if not (0.0 <= weight <= 1.0 and 0.0 <= text_share <= 1.0) or neighbors < 1:
            raise ValueError(f"weight and text_share must be in [0, 1] and neighbors >= 1, "
                             f"got {weight}, {text_share}, {neighbors}")
        if words is not None and words.rows.shape[0] != len(keys):
            raise ValueError(f"need one caption row per key, got {words.rows.shape[0]} rows "
                             f"for {len(keys)} keys")
        self.keys = _unit_rows(np.asarray(keys, np.float32))
        self.tags = np.asarray(tags, np.int32)
        self.tag_vocab_size = int(tag_vocab_size)
        self.neighbors = min(int(neighbors), len(self.keys))
        self.weight = float(weight)
        self.words = words
        self.text_share = float(text_share) if words is not None else 0.0
        self._keys = tf.constant(self.keys)
        self._tags = tf.constant(self.tags)
        rows, slots = np.nonzero(self.tags > UNK)  # (N, V): which post carries which tag
        self._carriers = tf.sparse.reorder(tf.sparse.SparseTensor(
            np.stack([rows, self.tags[rows, slots]], axis=1).astype(np.int64),
            tf.ones(len(rows)), (len(self.tags), self.tag_vocab_size)))

    def similarity(self, queries, text_ids=None) -> tf.Tensor:
        """Encodings (B, D) and padded caption ids (B, L) -> similarity (B, N) to every key."""
        queries = tf.math.l2_normalize(tf.cast(queries, tf.float32), axis=-1)
        similarity = tf.matmul(queries, self._keys, transpose_b=True)
        if self.text_share > 0.0 and text_ids is not None:
            similarity = ((1.0 - self.text_share) * similarity
                          + self.text_share * self.words.similarity(text_ids))
        return similarity

    def vote(self, queries, text_ids=None, given=None) -> tf.Tensor:
        """Encodings (B, D) [and caption ids] -> the neighbours' tag distribution (B, V).

        `given` (B, V) bool marks the tags each post's user already wrote: then only training
        posts that carry one of them vote, the nearest first (a co-occurrence vote weighted
        by similarity), unless no training post carries any.
        """
        similarity = self.similarity(queries, text_ids)
        if given is not None:
            similarity = self._towards_given(similarity, given)
        near, rows = tf.math.top_k(similarity, k=self.neighbors)
        votes = tf.gather(self._tags, rows)  # (B, k, T)
        # A neighbour votes with its similarity; padding slots vote for PAD, masked below.
        strength = tf.broadcast_to(tf.maximum(near, 0.0)[:, :, None], tf.shape(votes))
        flat = tf.reshape(votes, (tf.shape(votes)[0], -1))
        counts = tf.math.bincount(flat, weights=tf.reshape(strength, tf.shape(flat)),
                                  minlength=self.tag_vocab_size,
                                  maxlength=self.tag_vocab_size, axis=-1)
        counts.set_shape([queries.shape[0], self.tag_vocab_size])  # bincount drops the batch
        counts = counts * tf.cast(tf.range(self.tag_vocab_size) != PAD, tf.float32)
        return tf.math.divide_no_nan(counts, tf.reduce_sum(counts, axis=-1, keepdims=True))

    def _towards_given(self, similarity, given) -> tf.Tensor:
        """Similarity (B, N) with the posts carrying none of a row's given tags pushed last."""
        # (N, V) x (V, B): how many of row b's given tags training post n carries.
        shared = tf.sparse.sparse_dense_matmul(self._carriers,
                                               tf.cast(given, tf.float32), adjoint_b=True)
        carries = tf.transpose(shared) > 0
        any_carrier = tf.reduce_any(carries, axis=1, keepdims=True)
        # Below any cosine: such posts come last and vote with weight 0 (clipped below).
        return tf.where(tf.logical_and(any_carrier, tf.logical_not(carries)), -2.0, similarity)

    def mix(self, logits, vote) -> tf.Tensor:
        """Decoder logits (B, V) and a vote (B, V) -> log of the mixed distribution (B, V)."""
        mixed = (1.0 - self.weight) * tf.nn.softmax(logits, axis=-1) + self.weight * vote
        return tf.math.log(mixed + 1e-12)

    def with_settings(self, neighbors: int | None = None, weight: float | None = None,
                      text_share: float | None = None) -> "NeighbourMemory":
        """The same memory with other `neighbors`, `weight` or `text_share` (None: kept)."""
        return NeighbourMemory(self.keys, self.tags, self.tag_vocab_size,
                               self.neighbors if neighbors is None else neighbors,
                               self.weight if weight is None else weight, self.words,
                               self.text_share if text_share is None else text_share)

    def save(self, path: os.PathLike) -> None:
        """Write the arrays (and k, weight) to an .npz file."""
        with open(path, "wb") as handle:
            words = self.words.arrays() if self.words is not None else {}
            np.savez(handle, keys=self.keys.astype(np.float16), tags=self.tags,
                     tag_vocab_size=self.tag_vocab_size, neighbors=self.neighbors,
                     weight=self.weight, text_share=self.text_share, **words)

    @classmethod
    def load(cls, path: os.PathLike, **settings) -> "NeighbourMemory":
        """Read `save`'s file (no pickle); `settings` as in `with_settings` override it."""
        with np.load(path, allow_pickle=False) as arrays:
            words = WordBags.from_arrays(arrays) if "word_idf" in arrays else None
            memory = cls(arrays["keys"], arrays["tags"], int(arrays["tag_vocab_size"]),
                         int(arrays["neighbors"]), float(arrays["weight"]), words,
                         float(arrays["text_share"]))
        return memory.with_settings(**settings)


def encode_for_memory(network, encoded: EncodedPosts, features: np.ndarray | None,
                      batch_size: int = 256) -> np.ndarray:
    """The fused encodings (first decoder states) of encoded posts, as float32 (N, D).

    Example:
        >>> keys = encode_for_memory(network, data.train, data.features)  # doctest: +SKIP
    """
    states = []
    for inputs in input_batches(encoded, features, batch_size):
        _, state = network.encode(inputs.get("text_ids"), inputs.get("image_regions"))
        states.append(np.asarray(state, np.float32))
    return np.concatenate(states)


def build_neighbour_memory(network, encoded: EncodedPosts, features: np.ndarray | None,
                           tag_vocab_size: int, neighbors: int, weight: float,
                           word_vocab_size: int | None = None,
                           text_share: float = 0.0) -> NeighbourMemory:
    """A memory of encoded training posts (with targets): encodings, captions, known tags.

    The captions' word vectors are kept when the posts have text and `word_vocab_size` is
    given.
    """
    tags = [[t for t in target if t > UNK] for target in encoded.targets]
    words = None
    if encoded.text_ids is not None and word_vocab_size:
        words = WordBags.fit(encoded.text_ids, word_vocab_size)
    return NeighbourMemory(encode_for_memory(network, encoded, features), pad_tag_rows(tags),
                           tag_vocab_size, neighbors, weight, words, text_share)
