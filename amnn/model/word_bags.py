"""TF-IDF word vectors of captions, for the neighbour memory's lexical similarity.

The network's fused encoding generalises, but it blurs exact words: on TweetEval the
nearest training posts by encoding missed the near-copies and place names that a TF-IDF
nearest-neighbour search finds (docs/BENCHMARKS.md). The memory therefore also compares
captions word by word: sublinear term frequency (1 + log count) times smoothed inverse
document frequency, rows scaled to unit length (scikit-learn's `TfidfVectorizer` with
`sublinear_tf=True` computes the same), over the model's own word ids (PAD and UNK left
out), so no second tokenizer or vocabulary is needed.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf
from scipy import sparse

from amnn.data.text.vectorizer import UNK as WORD_UNK


def _counts(text_ids: Sequence[Sequence[int]], vocab_size: int) -> sparse.csr_matrix:
    rows = [i for i, ids in enumerate(text_ids) for t in ids if t > WORD_UNK]
    cols = [t for ids in text_ids for t in ids if t > WORD_UNK]
    matrix = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                               shape=(len(text_ids), vocab_size))
    matrix.sum_duplicates()
    return matrix


class WordBags:
    """Unit TF-IDF rows of the training captions, and cosine similarity of new captions to them.

    Args:
        idf: float array (W,). Inverse document frequency of every word id.
        rows: scipy CSR matrix (N, W). The training captions' unit TF-IDF rows.

    Example:
        >>> bags = WordBags.fit([[2, 3], [3, 4], [5]], vocab_size=6)
        >>> [round(float(s), 2) for s in bags.similarity(tf.constant([[2, 3, 0]]))[0]]
        [1.0, 0.37, 0.0]
    """

    def __init__(self, idf: np.ndarray, rows: sparse.csr_matrix):
        self.idf = np.asarray(idf, np.float32)
        self.rows = sparse.csr_matrix(rows, dtype=np.float32)
        coo = self.rows.tocoo()  # row-major already, as SparseTensor wants
        self._rows = tf.sparse.SparseTensor(
            np.stack([coo.row, coo.col], axis=1).astype(np.int64), coo.data, self.rows.shape)
        self._idf = tf.constant(self.idf)

    @classmethod
    def fit(cls, text_ids: Sequence[Sequence[int]], vocab_size: int) -> "WordBags":
        """Document frequencies from the training captions, and their rows."""
        counts = _counts(text_ids, vocab_size)
        documents = np.bincount(counts.indices, minlength=vocab_size)
        idf = np.log((1.0 + len(text_ids)) / (1.0 + documents)) + 1.0
        return cls(idf, cls._unit(counts, idf))

    @staticmethod
    def _unit(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
        weighted = counts.copy()
        weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices]
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        return sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ weighted

    def query_vectors(self, text_ids) -> tf.Tensor:
        """Padded word ids (B, L) -> unit TF-IDF vectors (B, W)."""
        text_ids = tf.cast(text_ids, tf.int32)
        known = tf.cast(text_ids > WORD_UNK, tf.float32)
        counts = tf.math.bincount(text_ids, weights=known, minlength=len(self.idf),
                                  maxlength=len(self.idf), axis=-1)
        weighted = tf.where(counts > 0, 1.0 + tf.math.log(tf.maximum(counts, 1.0)), 0.0)
        return tf.math.l2_normalize(weighted * self._idf, axis=-1)

    def similarity(self, text_ids) -> tf.Tensor:
        """Cosine similarity (B, N) of captions (padded ids) to the training captions."""
        queries = self.query_vectors(text_ids)
        # (N, W) x (W, B): one sparse-dense product scores every query against every caption.
        return tf.transpose(tf.sparse.sparse_dense_matmul(self._rows, queries, adjoint_b=True))

    def arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for an .npz file (see `from_arrays`)."""
        return {"word_idf": self.idf, "word_data": self.rows.data,
                "word_indices": self.rows.indices, "word_indptr": self.rows.indptr}

    @classmethod
    def from_arrays(cls, arrays) -> "WordBags":
        """Rebuild from `arrays()` (e.g. an opened .npz)."""
        idf = arrays["word_idf"]
        rows = sparse.csr_matrix((arrays["word_data"], arrays["word_indices"],
                                  arrays["word_indptr"]),
                                 shape=(len(arrays["word_indptr"]) - 1, len(idf)))
        return cls(idf, rows)
