"""Scores of candidates on one fold: AMNN trained once and decoded many ways, a baseline once.

Each score is [P@1, R@5, A@5] of the top 5 on the held-out posts, from the same
`metrics_at_k` that `scripts/result_accuracy.py` uses. The held-out posts are never trained
on, and nothing here reads a validation or test split: `tune.py` passes folds of
the training posts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.evaluate.baselines import make_baseline
from amnn.evaluate.metrics import metrics_at_k
from amnn.inputs.encoding import padded_model_inputs
from amnn.model.decoding import BatchDecoder
from amnn.model.folder import load_model_folder
from benchmarks.common.script_training import train_as_train_py

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


def amnn_fold_scores(changes: dict, seed: int, train: Posts, held: Posts,
                     work: Path) -> dict:
    """Train AMNN as `train.py --data TRAIN` does (with `changes`); score `held` many ways.

    The model stops early on a by-photo split of `train`, exactly like the defaults of
    train.py, and chooses its mix of network and neighbours' vote on that split
    (`amnn.train.mix_choice`). The held-out posts are then ranked with that mix ("chosen
    mix", what predict.py gives), with the vote alone (its weight 1), with the network
    alone ("memory off"), and decoded tag after tag by the network alone. Returns
    {"epochs_run", "mix", "scores": {label: [P@1, R@5, A@5]}}.
    """
    folder = work / "fold_model"
    summary = train_as_train_py(AMNNConfig(seed=seed, **changes), train, folder)
    trained = load_model_folder(folder)
    inputs = padded_model_inputs(held, trained.config, trained.vectorizer)
    vocab, size = trained.hashtag_vocab, len(trained.hashtag_vocab)
    network = trained.network
    scores = {"memory off": decoded_scores(BatchDecoder(network, size), inputs, held, vocab,
                                           rank=True),
              "memory off, sequence": decoded_scores(BatchDecoder(network, size), inputs,
                                                     held, vocab, rank=False)}
    if trained.neighbours is not None:
        for label, memory in (("chosen mix", trained.neighbours),
                              ("vote alone", trained.neighbours.with_settings(weight=1.0))):
            scores[label] = decoded_scores(BatchDecoder(network, size, neighbours=memory),
                                           inputs, held, vocab, rank=True)
    shutil.rmtree(folder, ignore_errors=True)
    return {"epochs_run": summary["epochs_run"], "mix": summary.get("mix"), "scores": scores}


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
