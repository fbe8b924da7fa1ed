"""Scores of one candidate setting on one fold: AMNN after every epoch, a baseline once.

Each score is [P@1, R@5, A@5] of the top 5 on the held-out posts, from the same
`metrics_at_k` that `scripts/result_accuracy.py` uses. The held-out posts are never trained
on, and nothing here reads a validation or test split: `benchmarks/tune.py` passes folds of
the training posts.
"""

from __future__ import annotations

import keras
import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.evaluate.baselines import make_baseline
from amnn.evaluate.metrics import metrics_at_k
from amnn.inputs.encoding import padded_model_inputs
from amnn.inputs.pipeline import make_dataset
from amnn.model.decoding import BatchDecoder
from amnn.model.network import AMNNNetwork, build_amnn
from amnn.train.fitting import compile_model
from amnn.train.preparation import prepare

K = 5
DECODE_BATCH = 256


def headline(predictions: list[list[str]], truths: list[list[str]]) -> list[float]:
    """[P@1, R@5, A@5], rounded to 4 places.

    Example:
        >>> headline([["a", "b"]], [["b"]])
        [0.0, 1.0, 1.0]
    """
    table = metrics_at_k(predictions, truths, K)
    return [round(table.precision[0], 4), round(table.recall[K - 1], 4),
            round(table.accuracy[K - 1], 4)]


def decoded_scores(decoder: BatchDecoder, inputs: dict, held: Posts, vocab,
                    rank: bool) -> list[float]:
    """[P@1, R@5, A@5] of the top 5 that `decoder` gives the posts `held` (inputs padded)."""
    ids = np.concatenate([
        decoder.decode({name: value[i:i + DECODE_BATCH] for name, value in inputs.items()},
                       top_k=K, min_tags=K, rank=rank)
        for i in range(0, len(held), DECODE_BATCH)])
    return headline([vocab.decode(row) for row in ids], held.hashtags)


class _HeldOutScores(keras.callbacks.Callback):
    """After each epoch, decode the held-out posts greedily and by rank and keep the scores."""

    def __init__(self, config: AMNNConfig, inputs: dict, held: Posts, vocab) -> None:
        super().__init__()
        self.config, self.inputs, self.held, self.vocab = config, inputs, held, vocab
        self.curve: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        decoder = BatchDecoder(AMNNNetwork.from_model(self.model, self.config), len(self.vocab))
        self.curve.append({
            "epoch": epoch + 1, "loss": round(float((logs or {}).get("loss", np.nan)), 4),
            "sequence": decoded_scores(decoder, self.inputs, self.held, self.vocab, False),
            "rank": decoded_scores(decoder, self.inputs, self.held, self.vocab, True)})


def amnn_epoch_scores(config: AMNNConfig, train: Posts, held: Posts,
                      epochs: int) -> list[dict]:
    """Train AMNN on `train` for `epochs`; after each epoch, score `held` greedily and by rank.

    The model trains on every post of `train` with the rate schedule of
    `train.py --val-fraction 0 --epochs N` (halved when the training loss stalls), so epoch
    N's scores are those that command's model would get.

    Returns one dict per epoch: {"epoch", "loss", "sequence": [...], "rank": [...]}.
    """
    data = prepare(config.replace(val_fraction=0.0), train, train.select([]), progress=False)
    config = data.config
    keras.utils.set_random_seed(config.seed)
    model = compile_model(build_amnn(config, data.sizes), config.learning_rate, config.tag_loss)
    dataset = make_dataset(data.train, data.features, config.batch_size, shuffle=True,
                           seed=config.seed)
    scores = _HeldOutScores(config, padded_model_inputs(held, config, data.vectorizer), held,
                            data.vocab)
    schedule = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, min_lr=1e-5,
                                                 patience=config.reduce_lr_patience)
    model.fit(dataset, epochs=epochs, verbose=0, shuffle=False, callbacks=[schedule, scores])
    return scores.curve


def baseline_scores(name: str, options: dict, train: Posts, held: Posts) -> list[float]:
    """Fit baseline `name` with `options` on `train`; [P@1, R@5, A@5] on `held`.

    Example:
        >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"],
        ...                         [["rain", "sandy"], ["run", "boston"]], [2, 3])
        >>> baseline_scores("popular", {}, train, train)
        [0.5, 1.0, 1.0]
    """
    baseline = make_baseline(name, **options).fit(train)
    return headline(baseline.recommend(held, K), held.hashtags)
