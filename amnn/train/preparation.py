"""Everything training needs from read posts: vocabularies fit on training posts only.

Training fits the caption vectorizer and the hashtag vocabulary on the training split alone
(the validation split is never looked at), then encodes every split with them
(`amnn.inputs.encoding`, which prediction uses too) and sizes the network.

Under multi-worker every worker prepares its own copy; the photos are extracted once per
machine (the first worker to take the feature cache encodes them, the others wait for it:
`amnn.features.cache_lock`), and no worker starts training before all are prepared, so a
worker that failed stops the others with one line (`amnn.train.distribution.workers_ready`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Optional

import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.data.text import TextVectorizer, make_tokenizer
from amnn.data.vocabulary import HashtagVocabulary
from amnn.errors import DataError
from amnn.features.encoders import encoder_feature_shape
from amnn.features.photo_table import photo_table
from amnn.inputs.encoding import EncodedPosts, encode_posts, keep_learnable, learnable_rows
from amnn.model.network import ModelSizes
from amnn.train.distribution import worker_failures, workers_ready


@dataclass
class PreparedData:
    """Everything training needs, from the train and validation posts."""

    config: AMNNConfig
    vectorizer: Optional[TextVectorizer]
    vocab: HashtagVocabulary
    train: EncodedPosts
    val: EncodedPosts
    features: Optional[np.ndarray]
    sizes: ModelSizes
    # Each kept post's (caption, photo path), row for row with `train` and `val`.
    train_sources: Optional[list] = None
    val_sources: Optional[list] = None


def prepare(config: AMNNConfig, train: Posts, val: Posts, progress: bool = True) -> PreparedData:
    """Fit vocabularies on `train`, extract photos, encode both splits, drop unlearnable posts.

    A bad photo raises DataError here; scripts/train.py applies --on-bad-image first
    (`amnn.features.photo_check.check_post_photos`), so only usable photos reach this point.
    Under multi-worker, an error names this worker and stops the others too, and this
    returns once every worker has prepared its data.
    """
    with worker_failures():
        data = _prepare(config, train, val, progress)
    workers_ready()
    return data


def _prepare(config: AMNNConfig, train: Posts, val: Posts, progress: bool) -> PreparedData:
    if config.include_image and not train.has_images:
        # A text-only data set (all image_names empty) trains the text-only model by itself.
        print("note: the training posts have no photos; training the text-only model",
              file=sys.stderr)
        config = config.replace(include_image=False)
    vectorizer = None
    if config.include_text:
        tokenizer = make_tokenizer(config.tokenizer, train.texts)
        vectorizer = TextVectorizer(tokenizer, min_count=config.min_word_count,
                                    max_words=config.max_words,
                                    max_tokens=config.max_text_tokens).fit(train.texts)
    vocab = HashtagVocabulary.build(train.hashtags, min_count=config.min_tag_count)
    features, rows = None, (None, None)
    if config.include_image:
        table = photo_table(list(train.image_paths) + list(val.image_paths), config, progress)
        features, rows = table.features, (table.rows[: len(train)], table.rows[len(train):])
    full_train = encode_posts(train, config, vectorizer, vocab, rows[0])
    full_val = encode_posts(val, config, vectorizer, vocab, rows[1])
    (encoded_train, dropped_train), (encoded_val, dropped_val) = map(keep_learnable,
                                                                     (full_train, full_val))
    if len(encoded_train) == 0:
        raise DataError(str(train.csv_path),
                        f"no training post has a hashtag seen at least {config.min_tag_count} "
                        "times; lower --min-tag-count or add posts", column="hashtags")
    if len(val) and len(encoded_val) == 0:
        raise DataError(str(val.csv_path), "no validation post has a hashtag known from "
                        "training, so early stopping has nothing to watch; pass a larger "
                        "--val set or a larger --val-fraction", column="hashtags")
    print(f"posts: {len(encoded_train)} train ({dropped_train} without a known hashtag left out), "
          f"{len(encoded_val)} validation ({dropped_val} left out); hashtag vocabulary "
          f"{len(vocab) - 4} tags; word vocabulary "
          f"{vectorizer.vocab_size if vectorizer else 0}", file=sys.stderr)
    word_vocab = vectorizer.vocab_size if vectorizer else 2
    feature_shape = tuple(encoder_feature_shape(config.encoder))
    return PreparedData(config, vectorizer, vocab, encoded_train, encoded_val, features,
                        ModelSizes(word_vocab, len(vocab), feature_shape),
                        kept_sources(train, full_train), kept_sources(val, full_val))


def kept_sources(posts: Posts, encoded: EncodedPosts) -> list[tuple[str, str]]:
    """(caption, photo path) of the posts `keep_learnable` keeps, in their order.

    Example:
        >>> posts = Posts.from_rows("p.csv", ["tweets", "hashtags"], [["a", "x"], ["b", "y"]],
        ...                         [2, 3])
        >>> kept_sources(posts, EncodedPosts(None, None, [[5, 2], [2]]))
        [('a', '')]
    """
    return [(posts.texts[i], posts.image_paths[i]) for i in learnable_rows(encoded.targets)]


