"""Stop caption training by the captions it writes, not by the loss.

On the folds of the small sets (benchmarks/captions/) the validation loss was lowest
after 3 epochs, when the model still wrote a single frequent word for every post; the
written captions kept getting better for epochs after. So, as `amnn.train.ranking_stop`
does for hashtags, after every epoch the validation posts' captions are written (greedy)
and scored; early stopping, the best checkpoint and the rate schedule watch that score,
`val_caption_score`: the mean of corpus BLEU-1 and mean ROUGE-L F, on word ids.

A writer that gives most posts the same caption ("the the the a the the" on the demo) can
still score well on BLEU-1, so the score is guarded: the distinct written captions per
distinct input (photo plus hashtag set) is logged as `val_caption_distinct`, and an epoch
under `DISTINCT_FLOOR` cannot be the best one. Its score becomes
`match * distinct / DISTINCT_FLOOR - 1`, in [-1, 0): below every epoch over the floor, and
among epochs under it, the more distinct the better, so early stopping still sees progress.
The unguarded mean is logged as `val_caption_match`.

The two are computed here on ids (training sits before evaluation in the package's flow);
tests/train/test_caption_stop.py checks them against `amnn.evaluate.caption_metrics`.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import keras
import numpy as np

from amnn.config import AMNNConfig
from amnn.inputs.caption_repetition import distinct_ratio
from amnn.inputs.caption_encoding import CaptionIds, CaptionPosts
from amnn.model.caption_decoding import CaptionWriter
from amnn.model.caption_network import CaptionNetwork
from amnn.model.losses import make_tag_loss
from amnn.train.fitting import MaskedTagAccuracy

CAPTION_METRIC = "val_caption_score"
DISTINCT_METRIC = "val_caption_distinct"
MATCH_METRIC = "val_caption_match"
DISTINCT_FLOOR = 0.8  # an epoch writing fewer distinct captions per distinct input is not kept
WORD_METRIC = "word_accuracy"  # the caption model's share of next words right (padding out)


def compile_caption_model(model: keras.Model, learning_rate: float) -> keras.Model:
    """Compile as `amnn.train.fitting.compile_model`, the accuracy named `word_accuracy`.

    The caption model predicts words, not tags: its epoch log says so. Loading a folder
    never reads the metric (`load_model_folder` uses compile=False), so models compiled
    with the old name `tag_accuracy` load as before.

    Example:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
        >>> compile_caption_model(model, 0.001).get_compile_config()["metrics"][0]["config"]["name"]
        'word_accuracy'
    """
    # The hashtag model's optimizer and masked loss (`amnn.train.fitting.compile_model`).
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=5.0),
                  loss=make_tag_loss("next"), metrics=[MaskedTagAccuracy(name=WORD_METRIC)])
    return model


def guarded_score(match: float, distinct: float) -> float:
    """The epoch's score: `match`, or under `DISTINCT_FLOOR` a value below every such one.

    Example:
        >>> guarded_score(0.1, 0.9), guarded_score(0.3, 0.2)
        (0.1, -0.925)
    """
    if distinct >= DISTINCT_FLOOR:
        return match
    return round(match * distinct / DISTINCT_FLOOR - 1.0, 6)


def bleu1(written: Sequence[Sequence[int]], truths: Sequence[Sequence[int]]) -> float:
    """Corpus BLEU-1: clipped unigram precision times the brevity penalty.

    Example:
        >>> round(bleu1([[5, 6, 7, 8]], [[5, 6, 7, 8, 9]]), 6)  # exp(1 - 5/4)
        0.778801
    """
    matched = sum(sum((Counter(w) & Counter(t)).values()) for w, t in zip(written, truths))
    length = sum(len(w) for w in written)
    reference = sum(len(t) for t in truths)
    if length == 0 or matched == 0:
        return 0.0
    penalty = 1.0 if length > reference else math.exp(1 - reference / length)
    return penalty * matched / length


def rouge_l(written: Sequence[int], truth: Sequence[int]) -> float:
    """ROUGE-L F-measure (beta 1) of one caption: from the longest common subsequence.

    Example:
        >>> rouge_l([5, 6, 7], [5, 9, 7, 8])
        0.571429
    """
    if not written or not truth:
        return 0.0
    previous = [0] * (len(truth) + 1)
    for word in written:
        current = [0]
        for column, other in enumerate(truth):
            current.append(previous[column] + 1 if word == other
                           else max(previous[column + 1], current[column]))
        previous = current
    common = previous[-1]
    if common == 0:
        return 0.0
    precision, recall = common / len(written), common / len(truth)
    return round(2 * precision * recall / (precision + recall), 6)


def caption_objective(written, truths) -> float:
    """Mean of corpus BLEU-1 and mean ROUGE-L F.

    Example:
        >>> caption_objective([[5, 6]], [[5, 6]])
        1.0
    """
    rouge = float(np.mean([rouge_l(w, t) for w, t in zip(written, truths)]))
    return (bleu1(written, truths) + rouge) / 2


class ValidationCaptions(keras.callbacks.Callback):
    """Adds the guarded `val_caption_score`, `val_caption_match` and `val_caption_distinct`
    to each epoch's logs (list it before the callbacks reading them).

    Args:
        config: AMNNConfig of the caption model being trained.
        val: CaptionPosts with targets.
        features: the photo feature table, or None.
        ids: CaptionIds of the model.
    """

    def __init__(self, config: AMNNConfig, val: CaptionPosts, features, ids: CaptionIds,
                 batch_size: int = 256):
        super().__init__()
        self.config, self.val, self.features, self.ids = config, val, features, ids
        self.batch_size = batch_size
        self.truths = [[i for i in target if i != ids.eos] for target in val.targets]
        self.inputs = post_inputs(val)
        self._writer = None  # made once: its compiled step reads the live weights

    def on_epoch_end(self, epoch, logs=None):
        if self._writer is None:
            self._writer = CaptionWriter(CaptionNetwork.from_model(self.model, self.config),
                                         self.ids)
        written = self._writer.write_posts(self.val, self.features,
                                           self.config.max_caption_words,
                                           batch_size=self.batch_size)
        if logs is not None:
            match = caption_objective(written, self.truths)
            distinct = distinct_ratio([tuple(w) for w in written], self.inputs)
            logs.update({MATCH_METRIC: match, DISTINCT_METRIC: distinct,
                         CAPTION_METRIC: guarded_score(match, distinct)})


def post_inputs(posts: CaptionPosts) -> list[tuple]:
    """What the writer reads of each post: (photo row or None, frozenset of hashtag ids).

    Example:
        >>> post_inputs(CaptionPosts([[4, 5], [5, 4]], np.array([0, 0]), None))[0][1]
        frozenset({4, 5})
    """
    rows = posts.image_rows if posts.image_rows is not None else [None] * len(posts)
    tags = posts.tag_ids if posts.tag_ids is not None else [()] * len(posts)
    return [(None if row is None else int(row), frozenset(t)) for row, t in zip(rows, tags)]
