"""Simple caption writers that a caption model is compared against.

Each baseline is fitted on training posts and gives every new post the caption (the
`tweets` text, as written) of one training post:

- `frequent`: the most frequent training caption, the same for every post.
- `retrieval-photo`: the caption of the training post whose photo is most similar (cosine of
  the pooled photo features image-knn uses, from the same feature cache).
- `retrieval-tags`: the caption of the training post whose hashtags are most similar (cosine
  of TF-IDF weighted tag bags); a new post's tags come from its `hashtags` column.
- `retrieval-both`: the most similar by `alpha * tags + (1 - alpha) * photo`.

Captions are counted by their words (`WordTokenizer`: case, URLs and punctuation aside),
and training posts whose caption has no word are never retrieved. Ties, such as the many
posts that share one photo or one tag set, go to the caption seen most often in training,
then to the earliest post: results are deterministic, and a post with nothing to compare
(no photo, no known tag) gets the frequent caption. A new photo identical to a training
photo (a repost) retrieves that photo's caption: that is what retrieval does.

Example:
    >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["Storm in NYC", "sandy nyc"],
    ...     ["Finish line!", "boston"], ["storm in nyc", "sandy"]], [2, 3, 4])
    >>> new = Posts.from_rows("n.csv", ["hashtags"], [["boston"], [""]], [2, 3],
    ...                       require_text=False)
    >>> make_caption_baseline("retrieval-tags").fit(train).predict(new)
    ['Finish line!', 'Storm in NYC']
"""

from __future__ import annotations

from collections import Counter
from typing import Optional

import numpy as np

from amnn.data.posts import Posts
from amnn.data.text.tokenizers import WordTokenizer
from amnn.errors import DataError

__all__ = ["CAPTION_BASELINES", "CaptionBaseline", "make_caption_baseline"]

_BATCH = 1024  # new posts per dense similarity block: 1024 x 20k float32 is 80 MB
_TIE = 1e-6  # similarities this close count as equal (float sums are not exact)


class CaptionBaseline:
    """Retrieve the caption of the most similar training post (see the module doc).

    Args:
        name: str. "frequent", "retrieval-photo", "retrieval-tags" or "retrieval-both".
        alpha: float in [0, 1]. retrieval-both: weight of the tag similarity; the photo's is
            1 - alpha.
        encoder, encoder_weights, cache_dir, progress: the photo features (as image-knn's).

    Example:
        >>> CaptionBaseline("retrieval-both", alpha=0.3).uses
        ('tags', 'photo')
    """

    def __init__(self, name: str = "frequent", alpha: float = 0.5,
                 encoder: str = "efficientnet_lite0", encoder_weights: Optional[str] = None,
                 cache_dir: Optional[str] = None, progress: bool = False) -> None:
        if name not in CAPTION_BASELINES:
            raise ValueError(f"unknown caption baseline {name!r}; choose one of "
                             f"{', '.join(CAPTION_BASELINES)}")
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.name, self.alpha, self.uses = name, float(alpha), CAPTION_BASELINES[name]
        self.encoder, self.encoder_weights = encoder, encoder_weights
        self.cache_dir, self.progress = cache_dir, progress
        self.captions: Optional[list[str]] = None  # the retrievable training captions

    def fit(self, posts: Posts) -> "CaptionBaseline":
        """Learn from training posts (their text, and their tags or photos); returns self."""
        words = WordTokenizer()
        keys = [" ".join(words.tokenize(text)) for text in posts.texts]
        posts = posts.select([i for i, key in enumerate(keys) if key])
        keys = [key for key in keys if key]
        if not keys:
            raise DataError(posts.csv_path, "no training post has a caption with a word; "
                            "nothing to retrieve", column="tweets")
        self.captions = [text.strip() for text in posts.texts]
        counts = Counter(keys)
        # A post's rank: its caption's place by training count, then by first appearance.
        order = {key: place for place, key in enumerate(
            sorted(counts, key=lambda key: -counts[key]))}  # sorted() is stable
        self._rank = np.array([order[key] for key in keys], np.int64) * len(keys) + \
            np.arange(len(keys))
        if "tags" in self.uses:
            self._fit_tags(posts)
        if "photo" in self.uses:
            self._fit_photos(posts)
        return self

    def _fit_tags(self, posts: Posts) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if posts.hashtags is None or not any(posts.hashtags):
            raise DataError(posts.csv_path, f"no captioned training post has a hashtag; "
                            f"{self.name} needs them", column="hashtags")
        # Each tag is one term: a bag of tags, weighted by how rare each tag is.
        self._tfidf = TfidfVectorizer(analyzer=list, dtype=np.float32)
        self._train_tags = self._tfidf.fit_transform(posts.hashtags).T.tocsr()

    def _fit_photos(self, posts: Posts) -> None:
        if not any(posts.image_paths):
            raise DataError(posts.csv_path, f"no captioned training post has a photo; "
                            f"{self.name} needs photos (retrieval-tags works without)",
                            column="image_names")
        self._train_photos, has_photo = self._photo_vectors(posts.image_paths)
        self._no_photo = ~has_photo

    def _photo_vectors(self, image_paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """L2-normalised mean region features per post (zeros without photo), and who has one."""
        from amnn.features.photo_table import (
            cached_photo_features,  # TensorFlow loads here, for photos
        )

        features, rows = cached_photo_features(image_paths, self.encoder, self.encoder_weights,
                                               self.cache_dir, progress=self.progress)
        pooled = features.mean(axis=1, dtype=np.float32)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        vectors = np.zeros((len(image_paths), pooled.shape[1]), np.float32)
        vectors[rows >= 0] = pooled[rows[rows >= 0]]
        return vectors, rows >= 0

    def predict(self, posts: Posts) -> list[str]:
        """One retrieved training caption per post, in order."""
        if self.captions is None:
            raise ValueError(f"{self.name}: call fit(train_posts) before predicting")
        if "tags" in self.uses and posts.hashtags is None:
            raise DataError(posts.csv_path, f"no hashtags column; {self.name} retrieves "
                            "by the posts' hashtags", column="hashtags")
        tags = self._tfidf.transform(posts.hashtags) if "tags" in self.uses else None
        photos = None  # without any photo, every photo similarity is equal: leave it out
        if "photo" in self.uses and posts.has_images:
            photos = self._photo_vectors(posts.image_paths)
        chosen = []
        for start in range(0, len(posts), _BATCH):
            rows = slice(start, min(start + _BATCH, len(posts)))
            similarity = np.zeros((rows.stop - start, len(self.captions)), np.float32)
            if tags is not None:
                tag_weight = self.alpha if self.name == "retrieval-both" else 1.0
                similarity += tag_weight * (tags[rows] @ self._train_tags).toarray()
            if photos is not None:
                photo_weight = 1.0 - self.alpha if self.name == "retrieval-both" else 1.0
                similarity += photo_weight * self._photo_similarity(photos, rows)
            chosen.extend(self._best(similarity))
        return [self.captions[i] for i in chosen]

    def _photo_similarity(self, photos: tuple[np.ndarray, np.ndarray], rows: slice):
        """Cosine of new photos to training photos; -1 to a training post without photo,
        0 for a new post without photo (it is equally far from all)."""
        vectors, has_photo = photos
        similarity = vectors[rows] @ self._train_photos.T
        similarity[np.ix_(has_photo[rows], self._no_photo)] = -1.0
        return similarity

    def _best(self, similarity: np.ndarray) -> list[int]:
        """Per row, the best training post; near-ties go to the lowest `_rank`."""
        best = similarity.max(axis=1, keepdims=True)
        ranked = np.where(similarity >= best - _TIE, self._rank, np.iinfo(np.int64).max)
        return ranked.argmin(axis=1).tolist()


# name -> what it compares: the order of the weighted parts of retrieval-both.
CAPTION_BASELINES = {"frequent": (), "retrieval-photo": ("photo",),
                     "retrieval-tags": ("tags",), "retrieval-both": ("tags", "photo")}


def make_caption_baseline(name: str, **options) -> CaptionBaseline:
    """The caption baseline `name`, built with `options` (`CaptionBaseline`'s arguments).

    Example:
        >>> make_caption_baseline("retrieval-tags").uses
        ('tags',)
        >>> make_caption_baseline("random")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: unknown caption baseline 'random'; choose one of frequent, ...
    """
    return CaptionBaseline(name, **options)
