"""Stop training by what users get, not by the loss: a ranking score on validation posts.

On the folds of the training posts the validation loss kept falling for epochs after the
recommendations had started to get worse (docs/BENCHMARKS.md), so early stopping, the best
checkpoint and the rate schedule watch `val_ranking` instead: after every epoch the
validation posts' hashtags are ranked by the decoder's first step (`--decode rank`, without
the neighbour memory, which is built after training) and scored as the mean of precision@1,
recall@5 and accuracy@5 against their hashtags known to the vocabulary.
"""

from __future__ import annotations

import keras
import numpy as np

from amnn.config import AMNNConfig
from amnn.data.vocabulary import UNK
from amnn.inputs.encoding import EncodedPosts, input_batches
from amnn.model.decoding import BatchDecoder
from amnn.model.network import AMNNNetwork

RANKING_METRIC = "val_ranking"


def ranking_objective(ranked: np.ndarray, truths: list[list[int]], k: int = 5) -> float:
    """Mean of P@1, R@k and A@k of ranked id rows (B, >=k) against true id lists.

    Example:
        >>> ranking_objective(np.array([[4, 5], [6, 4]]), [[4], [4, 7]], k=2)
        0.75
    """
    top1 = [row[0] in truth for row, truth in zip(ranked, truths)]
    found = [len(set(row[:k].tolist()) & set(truth)) for row, truth in zip(ranked, truths)]
    recall = [hits / len(truth) for hits, truth in zip(found, truths)]
    return float(np.mean(top1) + np.mean(recall) + np.mean(np.greater(found, 0))) / 3


class ValidationRanking(keras.callbacks.Callback):
    """Adds `val_ranking` to each epoch's logs (list it before the callbacks that read it).

    Args:
        config: AMNNConfig of the model being trained.
        val: EncodedPosts with targets (every post has at least one known hashtag).
        features: the photo feature table, or None for a text-only model.
        tag_vocab_size: int. Size of the hashtag vocabulary.

    Usage, as `amnn.train.fitting` trains whenever there are validation posts
    (tests/model/test_folder.py trains tiny models with it):

        callback = ValidationRanking(config, data.val, data.features, len(data.vocab))
        model.fit(train_ds, callbacks=[callback, keras.callbacks.EarlyStopping(
            monitor="val_ranking", mode="max")])  # after each epoch: logs["val_ranking"]
    """

    def __init__(self, config: AMNNConfig, val: EncodedPosts, features, tag_vocab_size: int,
                 batch_size: int = 256, k: int = 5):
        super().__init__()
        self.config, self.val, self.features = config, val, features
        self.tag_vocab_size, self.batch_size, self.k = tag_vocab_size, batch_size, k
        self.truths = [[t for t in target if t > UNK] for target in val.targets]
        self._decoder = None  # made once: its compiled step reads the live weights

    def on_epoch_end(self, epoch, logs=None):
        if self._decoder is None:
            self._decoder = BatchDecoder(AMNNNetwork.from_model(self.model, self.config),
                                         self.tag_vocab_size)
        ranked = np.concatenate([self._decoder.decode(inputs, top_k=self.k, rank=True)
                                 for inputs in input_batches(self.val, self.features,
                                                            self.batch_size)])
        if logs is not None:
            logs[RANKING_METRIC] = ranking_objective(ranked, self.truths, self.k)
