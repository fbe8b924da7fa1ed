"""Turn read posts into model inputs: vocabularies fit on training posts only, ids, photos.

Training fits the caption vectorizer and the hashtag vocabulary on the training split alone
(the validation split is never looked at), then encodes every split with them. Prediction
reuses `encode_posts` with the saved vectorizer and the same photo-table logic.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from amnn.encoders import encoder_feature_shape, get_encoder
from amnn.errors import DataError
from amnn.feature_cache import ensure_features, load_features
from amnn.input_pipeline import EncodedPosts, pad_ids
from amnn.model import ModelSizes
from amnn.posts import Posts
from amnn.text import TextVectorizer, make_tokenizer
from amnn.vocabulary import HashtagVocabulary
from config import AMNNConfig


@dataclass
class PhotoTable:
    """Region features of each distinct photo once, plus each post's row in the table.

    The last row is all zeros: posts without a photo point at it.

    Example:
        >>> table = PhotoTable(np.zeros((3, 49, 8), "float16"), np.array([0, 1, 1, 2], "int32"))
        >>> table.rows.tolist()
        [0, 1, 1, 2]
    """

    features: np.ndarray
    rows: np.ndarray


@functools.lru_cache(maxsize=2)
def shared_encoder(name: str, weights: Optional[str], cache_dir: Optional[str]):
    """The image encoder `name`, built once per process and shared by its callers.

    predict.py asks for photos chunk after chunk, and `amnn.bad_images` looks at the same
    photos first: building the network again each time would cost seconds. (No argument
    defaults: lru_cache would key `f(x)` and `f(x, None, None)` apart.)

    Example:
        >>> shared_encoder("efficientnet_lite0", None, None) is \
        ...     shared_encoder("efficientnet_lite0", None, None)
        True
    """
    return get_encoder(name, weights=weights, cache_dir=cache_dir)


def cached_photo_features(image_paths: Sequence[str], encoder_name: str,
                          encoder_weights: Optional[str] = None, cache_dir: Optional[str] = None,
                          batch_size: int = 32, progress: bool = True, extract: bool = True):
    """Each distinct photo's region features, extracted once through the HDF5 cache.

    Returns (features float16 (U, 49, C), rows int32 per path; -1 for a post without photo).
    `extract=False` only reads the cache, for photos `amnn.bad_images` has just looked at
    (and extracted): checking every file against the cache again would be wasted time.

    Example:
        >>> feats, rows = cached_photo_features(["a.jpg", "", "a.jpg"], "efficientnet_lite0")
        ... # doctest: +SKIP
        >>> rows.tolist()  # doctest: +SKIP
        [0, -1, 0]
    """
    if extract and any(image_paths):
        encoder = shared_encoder(encoder_name, encoder_weights, cache_dir)
        ensure_features(image_paths, encoder, cache_dir=cache_dir, batch_size=batch_size,
                        progress=progress)
    return load_features(list(image_paths), encoder_name, cache_dir=cache_dir)


def photo_table(image_paths: Sequence[str], config: AMNNConfig, progress: bool = True,
                extract: bool = True) -> PhotoTable:
    """The photos' features plus a blank last row that posts without a photo point at.

    Posts with a bad photo under --on-bad-image text-only get '' as their path, so they
    point at the blank row too. `extract` as in `cached_photo_features`.
    """
    features, rows = cached_photo_features(image_paths, config.encoder, config.encoder_weights,
                                           config.cache_dir, config.extract_batch_size, progress,
                                           extract)
    blank = np.zeros((1,) + features.shape[1:], np.float16)
    rows = np.where(rows < 0, len(features), rows).astype(np.int32)
    return PhotoTable(np.concatenate([features, blank]), rows)


def encode_posts(posts: Posts, config: AMNNConfig, vectorizer: Optional[TextVectorizer],
                 vocab: Optional[HashtagVocabulary], image_rows: Optional[np.ndarray]) -> EncodedPosts:
    """Ids for one split; targets only when a vocabulary is given and posts have hashtags."""
    text_ids = vectorizer.encode(posts.texts) if config.include_text else None
    targets = None
    if vocab is not None and posts.hashtags is not None:
        targets = [vocab.encode_target(tags, config.max_tags, config.tag_order)
                   for tags in posts.hashtags]
    return EncodedPosts(text_ids, image_rows if config.include_image else None, targets)


def keep_learnable(encoded: EncodedPosts) -> tuple[EncodedPosts, int]:
    """Drop posts whose tags are all unknown (target is EOS alone).

    Training on them would teach the decoder to stop at once, which no user wants.
    """
    keep = [i for i, target in enumerate(encoded.targets) if len(target) > 1]
    dropped = len(encoded.targets) - len(keep)

    def pick(part):
        if part is None:
            return None
        return part[np.asarray(keep, dtype=np.int64)] if isinstance(part, np.ndarray) \
            else [part[i] for i in keep]

    return EncodedPosts(pick(encoded.text_ids), pick(encoded.image_rows),
                        pick(encoded.targets)), dropped


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


def prepare(config: AMNNConfig, train: Posts, val: Posts, progress: bool = True) -> PreparedData:
    """Fit vocabularies on `train`, extract photos, encode both splits, drop unlearnable posts.

    A bad photo raises DataError here; scripts/train.py applies --on-bad-image first
    (`amnn.bad_images.check_post_photos`), so only usable photos reach this point.
    """
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
    encoded_train, dropped_train = keep_learnable(encode_posts(train, config, vectorizer, vocab, rows[0]))
    encoded_val, dropped_val = keep_learnable(encode_posts(val, config, vectorizer, vocab, rows[1]))
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
                        ModelSizes(word_vocab, len(vocab), feature_shape))


def padded_model_inputs(posts: Posts, config: AMNNConfig,
                        vectorizer: Optional[TextVectorizer]) -> dict:
    """Every post's model inputs at once, captions padded to the longest (no targets).

    For evaluation tools that decode a whole split in one go; prediction proper goes
    through `HashtagPredictor`, which batches posts of similar length.

    Example:
        >>> inputs = padded_model_inputs(val_posts, trained.config, trained.vectorizer)
        ... # doctest: +SKIP
        >>> sorted(inputs)  # doctest: +SKIP
        ['image_regions', 'text_ids']
    """
    rows = features = None
    if config.include_image:
        table = photo_table(posts.image_paths, config, progress=False)
        features, rows = table.features, table.rows
    encoded = encode_posts(posts, config, vectorizer, None, rows)
    inputs = {}
    if encoded.text_ids is not None:
        inputs["text_ids"] = pad_ids(encoded.text_ids)
    if features is not None:
        inputs["image_regions"] = features[encoded.image_rows]
    return inputs
