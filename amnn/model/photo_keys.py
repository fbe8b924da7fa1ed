"""The photo view of the neighbour memory: each training photo's pooled encoder features.

On MediaEval the photo is what tells one news event from another, and the image-kNN
baseline (cosine of mean-pooled region features) beat the memory that compared only
captions and the network's fused encoding (docs/BENCHMARKS.md). So the memory keeps, for
every distinct training photo, its region features averaged and scaled to unit length, and
for every remembered post the row of its photo. A query's photo is pooled the same way.

Many posts share a photo (retweets), and copies repeat a photo's tags, they are not more
evidence: in this view the items that vote are the distinct photos, each with its tag shares
(`tag_shares`), as the image-kNN baseline votes. A post without a photo (a blank feature
row) pools to zeros and so is similar to nothing by this view.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from scipy import sparse
from sklearn.preprocessing import normalize

_POOL_CHUNK = 1024  # photos pooled at a time: a streamed table is read in pieces


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


class PhotoKeys:
    """Unit pooled features of the remembered photos, and the photo row of each post.

    Args:
        keys: float array (P, C). One unit row per distinct photo.
        rows: int array (N,). For each remembered post, its photo's row in `keys`.

    Example:
        >>> regions = np.array([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 2.0], [0.0, 2.0]]])
        >>> photos = PhotoKeys.from_features(regions, np.array([0, 1, 0]))
        >>> photos.similarity(tf.constant([[[3.0, 0.0]]])).numpy().tolist()  # per photo
        [[1.0, 0.0]]
        >>> photos.representatives.tolist()  # each photo's first post
        [0, 1]
    """

    def __init__(self, keys: np.ndarray, rows: np.ndarray):
        self.keys = _unit(np.asarray(keys, np.float32))
        self.rows = np.asarray(rows, np.int32)
        if len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= len(self.keys)):
            raise ValueError(f"photo rows must index the {len(self.keys)} photo keys")
        self._keys = tf.constant(self.keys)
        # Each photo's first remembered post stands for it in an explanation.
        photos, first_posts = np.unique(self.rows, return_index=True)
        self.representatives = np.full(len(self.keys), -1, np.int64)
        self.representatives[photos] = first_posts

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_features(cls, features, image_rows: np.ndarray) -> "PhotoKeys":
        """From a feature table (photos, regions, channels) and each post's row in it."""
        distinct, rows = np.unique(np.asarray(image_rows), return_inverse=True)
        pooled = [np.asarray(features[distinct[start:start + _POOL_CHUNK]], np.float32)
                  .mean(axis=1) for start in range(0, len(distinct), _POOL_CHUNK)]
        width = features.shape[-1]
        return cls(np.concatenate(pooled) if pooled else np.zeros((0, width)), rows)

    @staticmethod
    def pool(image_regions) -> tf.Tensor:
        """Region features (B, R, C) -> unit pooled rows (B, C); a blank photo stays 0."""
        pooled = tf.reduce_mean(tf.cast(image_regions, tf.float32), axis=1)
        return tf.math.l2_normalize(pooled, axis=-1)

    def similarity(self, image_regions) -> tf.Tensor:
        """Cosine (B, P) of each query photo to each remembered photo."""
        return tf.matmul(self.pool(image_regions), self._keys, transpose_b=True)

    def tag_shares(self, post_carriers: sparse.spmatrix) -> sparse.csr_matrix:
        """(P, V): the share of each photo's posts that carry each tag.

        `post_carriers` (N, V) has a 1 where a remembered post carries a tag.

        Example:
            >>> photos = PhotoKeys(np.eye(2), np.array([0, 0, 1]))
            >>> tags = sparse.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], np.float32))
            >>> photos.tag_shares(tags).toarray().tolist()
            [[1.0, 0.5], [0.0, 1.0]]
        """
        posts = sparse.csr_matrix((np.ones(len(self.rows), np.float32),
                                   (self.rows, np.arange(len(self.rows)))),
                                  shape=(len(self.keys), len(self.rows)))
        return (normalize(posts, "l1") @ post_carriers).tocsr()

    def arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for an .npz file (see `from_arrays`)."""
        return {"photo_keys": self.keys.astype(np.float16), "photo_rows": self.rows}

    @classmethod
    def from_arrays(cls, arrays) -> "PhotoKeys":
        """Rebuild from `arrays()` (e.g. an opened .npz)."""
        return cls(arrays["photo_keys"], arrays["photo_rows"])
