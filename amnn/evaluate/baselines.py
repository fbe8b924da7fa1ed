"""Simple hashtag recommenders that AMNN is compared against.

Each baseline is fitted on training posts and recommends the top k tags of new posts, best
first, without repeats: exactly k whenever training saw at least k distinct tags.

- `popular`: the k most frequent training tags, the same for every post.
- `text-knn`: the training posts with the most similar captions vote for their tags.
- `image-knn`: the training photos most similar to the post's photo vote for theirs.
- `multimodal-knn`: `alpha * text + (1 - alpha) * image`, each score row summing to 1.

Unvoted tags follow in order of training frequency, so a post with no caption or photo
gets the popular tags. Ties go to the tag seen first in training: results are deterministic.

Example:
    >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"],
    ...                         [["rain in nyc", "sandy nyc"], ["marathon", "boston"]], [2, 3])
    >>> new = Posts.from_rows("n.csv", ["tweets"], [["nyc rain"], [""]], [2, 3])
    >>> make_baseline("text-knn").fit(train).recommend(new, k=3)
    [['sandy', 'nyc', 'boston'], ['sandy', 'nyc', 'boston']]
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from amnn.data.posts import Posts
from amnn.data.vocabulary import HashtagVocabulary
from amnn.errors import DataError

__all__ = ["BASELINES", "HashtagBaseline", "ImageKNNBaseline", "MultimodalKNNBaseline",
           "PopularBaseline", "TextKNNBaseline", "make_baseline", "rank_tags"]

_BATCH = 1024  # query posts per dense similarity block: 1024 x 20k float32 is 80 MB


class HashtagBaseline:
    """Base of the baselines: counts the training tags and ranks tag scores into top-k lists.

    Subclasses fill in `_fit(posts, tag_matrix)` and `_scores(posts)`. Training posts without
    a tag are left out: as neighbours they would take a place and vote for nothing. Without
    votes the base ranks by training frequency: see `PopularBaseline`'s example.
    """

    name = "base"

    def __init__(self) -> None:
        self.tags: Optional[list[str]] = None  # the columns of every score matrix

    def fit(self, posts: Posts) -> "HashtagBaseline":
        """Learn from training posts (read with their hashtags); returns self."""
        if posts.hashtags is None:
            raise DataError(posts.csv_path, "the training posts have no hashtag column")
        # Counted as the model's vocabulary is: once per post, ties in order of first appearance.
        self.tags = HashtagVocabulary.build(posts.hashtags, min_count=1).tags
        if not self.tags:
            raise DataError(posts.csv_path, "no training post has a hashtag; nothing to recommend")
        posts = posts.select([i for i, tags in enumerate(posts.hashtags) if tags])
        column = {tag: j for j, tag in enumerate(self.tags)}
        rows, cols = zip(*[(i, column[tag]) for i, tags in enumerate(posts.hashtags)
                           for tag in dict.fromkeys(tags)])
        self._fit(posts, _indicator(rows, cols, (len(posts), len(self.tags))))
        return self

    def _fit(self, posts: Posts, tag_matrix: sparse.csr_matrix) -> None:
        """Fit on the tagged training posts; `tag_matrix[i, j]` is 1 when post i has tag j."""

    def scores(self, posts: Posts) -> sparse.csr_matrix:
        """Tag scores, shape (len(posts), len(self.tags)); higher is better, 0 is no vote."""
        if self.tags is None:
            raise ValueError(f"{self.name}: call fit(train_posts) before recommending")
        return self._scores(posts)

    def _scores(self, posts: Posts) -> sparse.csr_matrix:
        return sparse.csr_matrix((len(posts), len(self.tags)), dtype=np.float32)  # no votes

    def recommend(self, posts: Posts, k: int = 5) -> list[list[str]]:
        """The top `k` tags of each post, best first (all tags when training had fewer)."""
        if int(k) < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return rank_tags(self.scores(posts), self.tags, int(k))


def rank_tags(scores: sparse.spmatrix, tags: list[str], k: int) -> list[list[str]]:
    """The `k` best tags of each score row; zero scores and ties go in column order.

    Example:
        >>> rank_tags(sparse.csr_matrix([[0, 0.5, 0, 0.5]]), ["a", "b", "c", "d"], 3)
        [['b', 'd', 'a']]
    """
    k, scores = min(k, len(tags)), sparse.csr_matrix(scores)
    names = np.array(tags, dtype=object)
    ranked: list[list[str]] = []
    for start in range(0, scores.shape[0], _BATCH):
        block = scores[start:start + _BATCH].toarray()
        ranked.extend(names[np.argsort(-block, axis=1, kind="stable")[:, :k]].tolist())
    return ranked


def _indicator(rows, cols, shape) -> sparse.csr_matrix:
    """A float32 matrix with a 1 at each (row, col)."""
    return sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)


def _knn_votes(queries, items_t, n_neighbors: int, item_tags) -> sparse.csr_matrix:
    """Per query row, `cosine * item_tags` summed over its `n_neighbors` nearest items."""
    n = min(n_neighbors, items_t.shape[1])
    blocks = [sparse.csr_matrix((0, item_tags.shape[1]), dtype=np.float32)]
    for start in range(0, queries.shape[0], _BATCH):
        similarity = queries[start:start + _BATCH] @ items_t  # rows are L2-normalised
        similarity = similarity.toarray() if sparse.issparse(similarity) else similarity
        nearest = np.argpartition(-similarity, n - 1, axis=1)[:, :n]
        # A dissimilar neighbour (negative cosine) must not vote against its tags.
        weights = np.take_along_axis(similarity, nearest, axis=1).clip(min=0)
        rows = np.repeat(np.arange(similarity.shape[0]), n)
        chosen = sparse.csr_matrix((weights.ravel(), (rows, nearest.ravel())),
                                   shape=similarity.shape)
        blocks.append((chosen @ item_tags).tocsr())
    return sparse.vstack(blocks).tocsr()


def _check_neighbors(n_neighbors: int) -> int:
    if int(n_neighbors) < 1:  # checked when built, not at the first recommendation
        raise ValueError(f"n_neighbors must be at least 1, got {n_neighbors}")
    return int(n_neighbors)


class PopularBaseline(HashtagBaseline):
    """The k most frequent training tags for every post.

    Example:
        >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"],
        ...                         [["rain", "sandy nyc"], ["sun", "nyc"]], [2, 3])
        >>> PopularBaseline().fit(train).recommend(train, k=2)  # ties: first seen first
        [['nyc', 'sandy'], ['nyc', 'sandy']]
    """

    name = "popular"


class TextKNNBaseline(HashtagBaseline):
    """Tags of the training posts with the most similar captions (TF-IDF cosine).

    Args:
        n_neighbors: int. Training posts that vote for each new post.
        tokenizer: str. "auto", "word" or "soynlp" (see `amnn.data.text.make_tokenizer`).

    Example:
        >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"],
        ...                         [["rain in nyc", "sandy nyc"], ["sunny day", "sun"]], [2, 3])
        >>> new = Posts.from_rows("n.csv", ["tweets"], [["a sunny morning"]], [2])
        >>> TextKNNBaseline(n_neighbors=1).fit(train).recommend(new, k=2)  # then by frequency
        [['sun', 'sandy']]
    """

    name = "text-knn"

    def __init__(self, n_neighbors: int = 20, tokenizer: str = "auto") -> None:
        super().__init__()
        self.n_neighbors, self.tokenizer = _check_neighbors(n_neighbors), tokenizer

    def _fit(self, posts: Posts, tag_matrix: sparse.csr_matrix) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from amnn.data.text import make_tokenizer

        words = make_tokenizer(self.tokenizer, posts.texts)
        if not any(words.tokenize(text) for text in posts.texts):
            raise DataError(posts.csv_path, f"no tagged training caption has a word; {self.name} "
                            "needs captions")
        # Sublinear tf: a word said twice in one caption is barely more telling than once.
        self._vectorizer = TfidfVectorizer(analyzer=words.tokenize, sublinear_tf=True,
                                           dtype=np.float32)
        self._train_t = self._vectorizer.fit_transform(posts.texts).T.tocsr()
        self._tag_matrix = tag_matrix

    def _scores(self, posts: Posts) -> sparse.csr_matrix:
        return _knn_votes(self._vectorizer.transform(posts.texts), self._train_t,
                          self.n_neighbors, self._tag_matrix)


class ImageKNNBaseline(HashtagBaseline):
    """Tags of the training photos most similar to each post's photo (cosine of pooled features).

    A training photo votes with the share of its posts that carry each tag, so a photo
    posted 300 times (retweets) weighs as much as one posted once: copies repeat a photo's
    tags, they are not more evidence. Posts without a photo get the popular tags. Missing
    features are extracted once into the feature cache.

    Args:
        n_neighbors: int. Training photos that vote for each new photo.
        encoder: str. Image encoder name (see `amnn.features.encoders`).
        encoder_weights: str or None. Local weights file for the encoder.
        cache_dir: str or None. Feature cache folder (default: `amnn.features.cache_file.cache_root()`).
        progress: bool. Show a progress bar while extracting features.

    Usage: `ImageKNNBaseline(cache_dir="c").fit(train_posts).recommend(new_posts)`; it encodes
    photos, so tests/evaluate/test_baselines.py runs it (on the demo photos), not a doctest.
    """

    name = "image-knn"

    def __init__(self, n_neighbors: int = 20, encoder: str = "efficientnet_lite0",
                 encoder_weights: Optional[str] = None, cache_dir: Optional[str] = None,
                 progress: bool = False) -> None:
        super().__init__()
        self.n_neighbors = _check_neighbors(n_neighbors)
        self.encoder, self.encoder_weights = encoder, encoder_weights
        self.cache_dir, self.progress = cache_dir, progress

    def _pooled(self, image_paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """L2-normalised mean region features of each distinct photo, and each post's row."""
        from amnn.features.photo_table import (
            cached_photo_features,  # TensorFlow loads here, for photos
        )

        features, rows = cached_photo_features(image_paths, self.encoder, self.encoder_weights,
                                               self.cache_dir, progress=self.progress)
        pooled = features.mean(axis=1, dtype=np.float32)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12), rows

    def _fit(self, posts: Posts, tag_matrix: sparse.csr_matrix) -> None:
        if not any(posts.image_paths):
            raise DataError(posts.csv_path, f"no tagged training post has a photo; {self.name} "
                            "needs photos (text-knn works without)")
        self._photos, rows = self._pooled(posts.image_paths)
        has_photo = np.flatnonzero(rows >= 0)
        posts_of_photo = _indicator(rows[has_photo], has_photo, (len(self._photos), len(posts)))
        # l1 divides each photo's row by its number of posts: it votes with tag shares.
        self._photo_tags = (normalize(posts_of_photo, "l1") @ tag_matrix).tocsr()

    def _scores(self, posts: Posts) -> sparse.csr_matrix:
        if not any(posts.image_paths):
            return super()._scores(posts)  # no photo at all: no votes, and no TensorFlow
        photos, rows = self._pooled(posts.image_paths)
        photo_scores = _knn_votes(photos, self._photos.T, self.n_neighbors, self._photo_tags)
        # Many posts share a photo: each photo is scored once, then copied to its posts.
        has_photo = np.flatnonzero(rows >= 0)
        photo_of_post = _indicator(has_photo, rows[has_photo], (len(posts), len(photos)))
        return (photo_of_post @ photo_scores).tocsr()


class MultimodalKNNBaseline(HashtagBaseline):
    """`alpha * text-knn + (1 - alpha) * image-knn` scores, each row first scaled to sum 1.

    Args:
        n_neighbors: int. Neighbours of both the text and the image part.
        alpha: float in [0, 1]. Weight of the text part; 1 ranks as text-knn, 0 as image-knn.
        tokenizer: str. Tokenizer of the text part (see `TextKNNBaseline`).
        encoder, encoder_weights, cache_dir, progress: of the image part (see `ImageKNNBaseline`).

    Usage: `MultimodalKNNBaseline(alpha=0.7).fit(train_posts).recommend(new_posts)`, photos
    encoded as by `ImageKNNBaseline`; tests/evaluate/test_baselines.py weighs its two parts.
    """

    name = "multimodal-knn"

    def __init__(self, n_neighbors: int = 20, alpha: float = 0.5, tokenizer: str = "auto",
                 encoder: str = "efficientnet_lite0", encoder_weights: Optional[str] = None,
                 cache_dir: Optional[str] = None, progress: bool = False) -> None:
        super().__init__()
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = float(alpha)
        self.text = TextKNNBaseline(n_neighbors, tokenizer)
        self.image = ImageKNNBaseline(n_neighbors, encoder, encoder_weights, cache_dir, progress)

    def _fit(self, posts: Posts, tag_matrix: sparse.csr_matrix) -> None:
        for part in (self.text, self.image):
            part.tags = self.tags  # the same columns, so the two score matrices add up
            part._fit(posts, tag_matrix)

    def _scores(self, posts: Posts) -> sparse.csr_matrix:
        # l1 on scores >= 0: each row sums to 1; a row without votes stays 0.
        text = normalize(self.text.scores(posts), "l1")
        image = normalize(self.image.scores(posts), "l1")
        return (self.alpha * text + (1.0 - self.alpha) * image).tocsr()


BASELINES = {cls.name: cls for cls in (PopularBaseline, TextKNNBaseline, ImageKNNBaseline,
                                       MultimodalKNNBaseline)}


def make_baseline(name: str, **options) -> HashtagBaseline:
    """The baseline registered as `name`, built with `options` (its constructor's arguments).

    Example:
        >>> make_baseline("text-knn", n_neighbors=30).n_neighbors
        30
        >>> make_baseline("random")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: unknown baseline 'random'; choose one of popular, text-knn, ...
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
    return BASELINES[name](**options)
