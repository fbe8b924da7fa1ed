"""Posts turned into ids: caption word ids, the row of each photo, hashtag targets.

The same encoding serves training (`amnn.train.preparation`) and prediction
(`amnn.serve.predictor`), so a model always sees its inputs made one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import keras
import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.data.text import TextVectorizer
from amnn.data.vocabulary import HashtagVocabulary
from amnn.features.photo_table import photo_table


@dataclass
class EncodedPosts:
    """Posts turned into ids, ready for a pipeline.

    Args:
        text_ids: list of int lists (caption word ids, may be empty) or None (no text branch).
        image_rows: int32 array (N,) of rows in the feature table, or None (no image branch).
        targets: list of int lists (hashtag ids ending in EOS) or None (prediction).

    Example:
        >>> posts = EncodedPosts([[4, 5], []], np.array([0, 0], "int32"), [[7, 2], [8, 9, 2]])
        >>> len(posts)
        2
    """

    text_ids: Optional[Sequence[Sequence[int]]]
    image_rows: Optional[np.ndarray]
    targets: Optional[Sequence[Sequence[int]]]

    def __len__(self) -> int:
        for part in (self.targets, self.text_ids, self.image_rows):
            if part is not None:
                return len(part)
        return 0


def join_posts(first: EncodedPosts, second: EncodedPosts) -> EncodedPosts:
    """The posts of `first` then those of `second` (image rows index one shared table).

    Example:
        >>> a = EncodedPosts([[4]], np.array([0], "int32"), [[7, 2]])
        >>> b = EncodedPosts([[5, 6]], np.array([1], "int32"), [[8, 2]])
        >>> joined = join_posts(a, b)
        >>> joined.text_ids, joined.image_rows.tolist(), len(joined)
        ([[4], [5, 6]], [0, 1], 2)
    """
    def join(x, y):
        if x is None:
            return None
        return np.concatenate([x, y]) if isinstance(x, np.ndarray) else list(x) + list(y)

    return EncodedPosts(join(first.text_ids, second.text_ids),
                        join(first.image_rows, second.image_rows),
                        join(first.targets, second.targets))


def input_batches(encoded, features: Optional[np.ndarray], batch_size: int,
                  ids: str = "text_ids"):
    """Model inputs of `encoded`, `batch_size` posts at a time, in order (no targets).

    `ids` names the padded id field the model reads: "text_ids" of `EncodedPosts` (the
    hashtag model reads the caption), "tag_ids" of a caption model's `CaptionPosts` (it
    reads the hashtags); photo rows index `features` either way.

    Example:
        >>> posts = EncodedPosts([[4], [5, 6], [7]], None, None)
        >>> [batch["text_ids"].tolist() for batch in input_batches(posts, None, 2)]
        [[[4, 0], [5, 6]], [[7]]]
    """
    for start in range(0, len(encoded), batch_size):
        stop, inputs = start + batch_size, {}
        if getattr(encoded, ids) is not None:
            inputs[ids] = pad_ids(getattr(encoded, ids)[start:stop])
        if encoded.image_rows is not None:
            inputs["image_regions"] = features[encoded.image_rows[start:stop]]
        yield inputs


def pad_ids(rows: Sequence[Sequence[int]], min_length: int = 1) -> np.ndarray:
    """Pad id lists with 0 (PAD) to the longest row (at least `min_length`), as int32.

    Keras's `pad_sequences` does the work; at least one column, so a batch of empty
    captions still has a shape the text branch accepts.

    Example:
        >>> pad_ids([[3, 4], [5], []]).tolist()
        [[3, 4], [5, 0], [0, 0]]
        >>> pad_ids([[], []]).shape
        (2, 1)
    """
    width = max([len(r) for r in rows] + [min_length])
    return keras.utils.pad_sequences(rows, maxlen=width, dtype="int32", padding="post",
                                     truncating="post", value=0)



def encode_posts(posts: Posts, config: AMNNConfig, vectorizer: Optional[TextVectorizer],
                 vocab: Optional[HashtagVocabulary], image_rows: Optional[np.ndarray]) -> EncodedPosts:
    """Ids for one split; targets only when a vocabulary is given and posts have hashtags."""
    text_ids = vectorizer.encode(posts.texts) if config.include_text else None
    targets = None
    if vocab is not None and posts.hashtags is not None:
        targets = [vocab.encode_target(tags, config.max_tags, config.tag_order)
                   for tags in posts.hashtags]
    return EncodedPosts(text_ids, image_rows if config.include_image else None, targets)


def learnable_rows(targets: Sequence[Sequence[int]]) -> list[int]:
    """The rows whose target holds a known tag before its EOS (what `keep_learnable` keeps).

    Example:
        >>> learnable_rows([[7, 2], [2], [8, 9, 2]])
        [0, 2]
    """
    return [i for i, target in enumerate(targets) if len(target) > 1]


def keep_learnable(encoded: EncodedPosts) -> tuple[EncodedPosts, int]:
    """Drop posts whose tags are all unknown (target is EOS alone).

    Training on them would teach the decoder to stop at once, which no user wants.
    """
    keep = learnable_rows(encoded.targets)
    dropped = len(encoded.targets) - len(keep)

    def pick(part):
        if part is None:
            return None
        return part[np.asarray(keep, dtype=np.int64)] if isinstance(part, np.ndarray) \
            else [part[i] for i in keep]

    return EncodedPosts(pick(encoded.text_ids), pick(encoded.image_rows),
                        pick(encoded.targets)), dropped


def padded_model_inputs(posts: Posts, config: AMNNConfig,
                        vectorizer: Optional[TextVectorizer]) -> dict:
    """Every post's model inputs at once, captions padded to the longest (no targets).

    For evaluation tools that decode a whole split in one go; prediction proper goes
    through `HashtagPredictor`, which batches posts of similar length.

    Example (a text-only model; with photos, `image_regions` holds each post's features):
        >>> from amnn.data.text import WordTokenizer
        >>> posts = Posts.from_rows("p.csv", ["tweets"], [["rain in nyc"], ["nyc"]], [2, 3])
        >>> vectorizer = TextVectorizer(WordTokenizer(), min_count=1).fit(posts.texts)
        >>> inputs = padded_model_inputs(posts, AMNNConfig(include_image=False), vectorizer)
        >>> inputs["text_ids"].tolist(), sorted(inputs)
        ([[3, 4, 2], [2, 0, 0]], ['text_ids'])
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

