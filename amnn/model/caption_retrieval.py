"""Captions by retrieval: each new post gets the caption of the most similar training post.

Four methods, compared against the caption writer (`amnn.evaluate.caption_baselines`) and
chosen instead of it when they write better captions on held-out posts
(`amnn.train.caption_choice`):

- `frequent`: the most frequent training caption, the same for every post.
- `retrieval-photo`: the caption of the training post whose photo is most similar (cosine of
  the pooled region features, mean over regions, of the same feature cache as the writer's).
- `retrieval-tags`: the caption of the training post whose hashtags are most similar (cosine
  of TF-IDF weighted tag bags); a new post's tags come from its `hashtags` column.
- `retrieval-tags-meaning`: the same by what the hashtags mean: cosine of multilingual
  sentence vectors of the tags (`amnn.data.text.sentence_vectors`), which read a tag never
  seen in training by its pieces, where a bag of whole tags reads it as nothing.
- `retrieval-both`: the most similar by `alpha * tags + (1 - alpha) * photo`.

Captions are counted by their words (`WordTokenizer`: case, URLs and punctuation aside),
and training posts whose caption has no word are never retrieved. Ties, such as the many
posts that share one photo or one tag set, go to the caption seen most often in training,
then to the earliest post: results are deterministic, and a post with nothing to compare
(no photo, no known tag) gets the frequent caption. A new photo identical to a training
photo (a repost) retrieves that photo's caption: that is what retrieval does.

A fitted retriever is a few plain arrays (`to_arrays`): the captions, the tag bags as text
and the pooled photo features once per distinct photo. A model folder stores them without
pickle, and `from_arrays` rebuilds the same retriever (the TF-IDF weights are refitted from
the stored tags, so nothing of scikit-learn is saved).

Example:
    >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["Storm in NYC", "sandy nyc"],
    ...     ["Finish line!", "boston"], ["storm in nyc", "sandy"]], [2, 3, 4])
    >>> new = Posts.from_rows("n.csv", ["hashtags"], [["boston"], [""]], [2, 3],
    ...                       require_text=False)
    >>> retriever = CaptionRetriever("retrieval-tags").fit(train)
    >>> retriever.predict(new)
    ['Finish line!', 'Storm in NYC']
    >>> CaptionRetriever.from_arrays(retriever.to_arrays()).predict(new)
    ['Finish line!', 'Storm in NYC']
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Optional, Sequence

import numpy as np

from amnn.data.posts import Posts
from amnn.data.text.sentence_vectors import sentence_vectors
from amnn.data.text.tokenizers import WordTokenizer
from amnn.errors import DataError

__all__ = ["RETRIEVAL_METHODS", "CaptionRetriever"]

# name -> what it compares: the order of the weighted parts of retrieval-both.
RETRIEVAL_METHODS = {"frequent": (), "retrieval-photo": ("photo",),
                     "retrieval-tags": ("tags",), "retrieval-tags-meaning": ("meaning",),
                     "retrieval-both": ("tags", "photo")}
_BATCH = 1024  # new posts per dense similarity block: 1024 x 20k float32 is 80 MB
_TIE = 1e-6  # similarities this close count as equal (float sums are not exact)


class CaptionRetriever:
    """Retrieve the caption of the most similar training post (see the module doc).

    Args:
        name: str. "frequent", "retrieval-photo", "retrieval-tags" or "retrieval-both".
        alpha: float in [0, 1]. retrieval-both: weight of the tag similarity; the photo's is
            1 - alpha.
        encoder, encoder_weights, cache_dir, progress: the photo features, when `fit` and
            `predict` are not given them (`photos`): read through the feature cache.

    Example:
        >>> CaptionRetriever("retrieval-both", alpha=0.3).uses
        ('tags', 'photo')
    """

    def __init__(self, name: str = "frequent", alpha: float = 0.5,
                 encoder: str = "efficientnet_lite0", encoder_weights: Optional[str] = None,
                 cache_dir: Optional[str] = None, progress: bool = False) -> None:
        if name not in RETRIEVAL_METHODS:
            raise ValueError(f"unknown caption baseline {name!r}; choose one of "
                             f"{', '.join(RETRIEVAL_METHODS)}")
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.name, self.alpha, self.uses = name, float(alpha), RETRIEVAL_METHODS[name]
        self.encoder, self.encoder_weights = encoder, encoder_weights
        self.cache_dir, self.progress = cache_dir, progress
        self.captions: Optional[list[str]] = None  # the retrievable training captions

    @property
    def reads_tags(self) -> bool:
        """Whether it compares posts by their hashtags (as words or by meaning)."""
        return "tags" in self.uses or "meaning" in self.uses

    def fit(self, posts: Posts, photos=None) -> "CaptionRetriever":
        """Learn from training posts (their text, and their tags or photos); returns self.

        `photos`: optional (features (U, regions, C), rows (N,), -1 for no photo) of
        `posts.image_paths`, as `cached_photo_features` returns them; else read here.
        """
        keys = _caption_keys(posts.texts)
        kept = [i for i, key in enumerate(keys) if key]
        if not kept:
            raise DataError(posts.csv_path, "no training post has a caption with a word; "
                            "nothing to retrieve", column="tweets")
        posts = posts.select(kept)
        tags = photo_table = photo_rows = None
        if self.reads_tags:
            if posts.hashtags is None or not any(posts.hashtags):
                raise DataError(posts.csv_path, f"no captioned training post has a hashtag; "
                                f"{self.name} needs them", column="hashtags")
            tags = [" ".join(post_tags) for post_tags in posts.hashtags]
        if "photo" in self.uses:
            if not any(posts.image_paths):
                raise DataError(posts.csv_path, f"no captioned training post has a photo; "
                                f"{self.name} needs photos (retrieval-tags works without)",
                                column="image_names")
            if photos is not None:
                photos = (photos[0], np.asarray(photos[1])[kept])
            photo_table, photo_rows = self._pooled(posts.image_paths, photos)
        return self._fit_arrays([text.strip() for text in posts.texts], tags, photo_table,
                                photo_rows)

    def _fit_arrays(self, captions: list[str], tags: Optional[list[str]],
                    photo_table: Optional[np.ndarray], photo_rows: Optional[np.ndarray],
                    tag_vectors: Optional[np.ndarray] = None) -> "CaptionRetriever":
        """Fit from what `to_arrays` keeps: the one way both `fit` and `from_arrays` go."""
        self.captions = list(captions)
        keys = _caption_keys(self.captions)
        counts = Counter(keys)
        # A post's rank: its caption's place by training count, then by first appearance.
        order = {key: place for place, key in enumerate(
            sorted(counts, key=lambda key: -counts[key]))}  # sorted() is stable
        self._rank = np.array([order[key] for key in keys], np.int64) * len(keys) + \
            np.arange(len(keys))
        self._tags, self._photo_table, self._photo_rows = tags, photo_table, photo_rows
        self._tag_vectors = None
        if "meaning" in self.uses:
            self._tags = None  # the vectors are what it compares, and what it saves
            # Kept in the half precision they are saved in, so a loaded folder retrieves
            # exactly what the fitted retriever did when train.py chose it.
            vectors = sentence_vectors(tags) if tag_vectors is None else tag_vectors
            self._tag_vectors = np.asarray(vectors, np.float16).astype(np.float32)
        elif tags is not None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            # Each tag is one term: a bag of tags, weighted by how rare each tag is.
            self._tfidf = TfidfVectorizer(analyzer=str.split, dtype=np.float32)
            self._train_tags = self._tfidf.fit_transform(tags).T.tocsr()
        return self

    def with_alpha(self, alpha: float) -> "CaptionRetriever":
        """This fitted retriever weighing the tags by `alpha` (only `predict` weighs them,
        so the candidates of one method share one fit).

        Example:
            >>> CaptionRetriever("retrieval-both", 0.5).with_alpha(0.25).alpha
            0.25
        """
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        other = copy.copy(self)
        other.alpha = float(alpha)
        return other

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted retriever as plain arrays (strings as numpy unicode), for np.savez.

        Example:
            >>> posts = Posts.from_rows("t.csv", ["tweets"], [["Hi there"], ["hi THERE!"]], [2, 3])
            >>> arrays = CaptionRetriever().fit(posts).to_arrays()
            >>> sorted(arrays), arrays["captions"].tolist()
            (['alpha', 'captions', 'name'], ['Hi there', 'hi THERE!'])
        """
        if self.captions is None:
            raise ValueError(f"{self.name}: call fit(train_posts) before to_arrays()")
        arrays = {"name": np.array(self.name), "alpha": np.array(self.alpha, np.float64),
                  "captions": _strings(self.captions)}
        if self._tags is not None:
            arrays["tags"] = _strings(self._tags)
        if self._tag_vectors is not None:  # half precision: cosines to 3 decimals, half the file
            arrays["tag_vectors"] = self._tag_vectors.astype(np.float16)  # exact: see _fit_arrays
        if self._photo_table is not None:
            arrays["photos"] = self._photo_table.astype(np.float32)
            arrays["photo_rows"] = self._photo_rows.astype(np.int64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays, **options) -> "CaptionRetriever":
        """The retriever `to_arrays` saved; `options` as the constructor's (photo settings)."""
        try:
            retriever = cls(str(arrays["name"]), float(arrays["alpha"]), **options)
            tags = arrays["tags"].tolist() if "tags" in retriever.uses else None
            photos = (np.asarray(arrays["photos"], np.float32),
                      np.asarray(arrays["photo_rows"], np.int64)) \
                if "photo" in retriever.uses else (None, None)
            vectors = arrays["tag_vectors"] if "meaning" in retriever.uses else None
            return retriever._fit_arrays(arrays["captions"].tolist(), tags, *photos, vectors)
        except KeyError as missing:
            raise ValueError(f"caption retriever arrays lack {missing}") from None

    def _pooled(self, image_paths: Sequence[str], photos=None) -> tuple[np.ndarray, np.ndarray]:
        """L2-normalised mean region features once per distinct photo (P, C), and each
        post's row in them (-1 without a photo)."""
        if photos is None:
            from amnn.features.photo_table import (
                cached_photo_features,  # TensorFlow loads here, for photos
            )

            photos = cached_photo_features(image_paths, self.encoder, self.encoder_weights,
                                           self.cache_dir, progress=self.progress)
        features, rows = photos
        rows = np.asarray(rows, np.int64)
        used, post_rows = np.unique(rows[rows >= 0], return_inverse=True)
        pooled = np.asarray(features[used], np.float32).mean(axis=1) if len(used) else \
            np.zeros((0, 1), np.float32)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        table_rows = np.full(len(rows), -1, np.int64)
        table_rows[rows >= 0] = post_rows
        return pooled, table_rows

    def predict(self, posts: Posts, photos=None) -> list[str]:
        """One retrieved training caption per post, in order; `photos` as in `fit`."""
        if self.captions is None:
            raise ValueError(f"{self.name}: call fit(train_posts) before predicting")
        if self.reads_tags and posts.hashtags is None:
            raise DataError(posts.csv_path, f"no hashtags column; {self.name} retrieves "
                            "by the posts' hashtags", column="hashtags")
        tags = self._tfidf.transform([" ".join(t) for t in posts.hashtags]) \
            if "tags" in self.uses else None
        meanings = sentence_vectors([" ".join(t) for t in posts.hashtags]) \
            if "meaning" in self.uses else None
        new_photos = None  # without any photo, every photo similarity is equal: leave it out
        if "photo" in self.uses and (posts.has_images if photos is None
                                     else (np.asarray(photos[1]) >= 0).any()):
            new_photos = self._pooled(posts.image_paths, photos)
        chosen = []
        for start in range(0, len(posts), _BATCH):
            rows = slice(start, min(start + _BATCH, len(posts)))
            similarity = np.zeros((rows.stop - start, len(self.captions)), np.float32)
            if tags is not None:
                tag_weight = self.alpha if self.name == "retrieval-both" else 1.0
                similarity += tag_weight * (tags[rows] @ self._train_tags).toarray()
            if meanings is not None:
                similarity += meanings[rows] @ self._tag_vectors.T
            if new_photos is not None:
                photo_weight = 1.0 - self.alpha if self.name == "retrieval-both" else 1.0
                similarity += photo_weight * self._photo_similarity(new_photos, rows)
            chosen.extend(self._best(similarity))
        return [self.captions[i] for i in chosen]

    def _photo_similarity(self, photos: tuple[np.ndarray, np.ndarray], rows: slice):
        """Cosine of new photos to training photos; -1 to a training post without photo,
        0 for a new post without photo (it is equally far from all).

        Computed once per distinct photo pair, then spread to the posts: many posts share
        a photo, and a (posts x features) copy of the table would cost N x C floats.
        """
        table, new_rows = photos
        new_rows = new_rows[rows]
        by_photo = table[np.maximum(new_rows, 0)] @ self._photo_table.T  # (new, P)
        similarity = by_photo[:, np.maximum(self._photo_rows, 0)]  # (new, train posts)
        similarity[:, self._photo_rows < 0] = -1.0
        similarity[new_rows < 0] = 0.0
        return similarity

    def _best(self, similarity: np.ndarray) -> list[int]:
        """Per row, the best training post; near-ties go to the lowest `_rank`."""
        best = similarity.max(axis=1, keepdims=True)
        ranked = np.where(similarity >= best - _TIE, self._rank, np.iinfo(np.int64).max)
        return ranked.argmin(axis=1).tolist()


def _caption_keys(texts: Sequence[str]) -> list[str]:
    """Each caption's words joined by spaces ('' for a caption without a word)."""
    words = WordTokenizer()
    return [" ".join(words.tokenize(text)) for text in texts]


def _strings(values: Sequence[str]) -> np.ndarray:
    """A numpy unicode array (never object): np.load reads it with allow_pickle=False."""
    return np.array(list(values), dtype=str) if len(values) else np.zeros(0, "<U1")
