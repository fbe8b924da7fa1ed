"""Scores of candidates on one fold: AMNN trained once and decoded many ways, a baseline once.

Each score is [P@1, R@5, A@5] of the top 5 on the held-out posts, from the same
`metrics_at_k` that `scripts/result_accuracy.py` uses. The held-out posts are never trained
on, and nothing here reads a validation or test split: `benchmarks/tune.py` passes folds of
the training posts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.data.vocabulary import BOS, UNK
from amnn.evaluate.baselines import make_baseline
from amnn.evaluate.metrics import metrics_at_k
from amnn.inputs.encoding import padded_model_inputs
from amnn.model.decoding import BatchDecoder
from amnn.model.folder import load_model_folder
from benchmarks.script_training import train_as_train_py

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


# The neighbour memory's candidates: (neighbours, weight of the vote, caption words' share).
MEMORY_GRID = [(k, w, t) for k in (20, 40, 80) for w in (0.5, 0.75, 1.0)
               for t in (0.0, 0.5, 0.75, 1.0)]


def memory_label(neighbors: int, weight: float, text_share: float) -> str:
    """The candidate's name in the tables.

    Example:
        >>> memory_label(40, 0.75, 0.5)
        'memory k=40 weight=0.75 text share=0.5'
    """
    return f"memory k={neighbors} weight={weight} text share={text_share}"


def _first_steps(trained, inputs: dict):
    """Per batch: (inputs, first decoder states, first-step logits) of the posts."""
    network = trained.network
    size = len(next(iter(inputs.values())))
    for start in range(0, size, DECODE_BATCH):
        batch = {name: value[start:start + DECODE_BATCH] for name, value in inputs.items()}
        memory, state = network.encode(batch.get("text_ids"), batch.get("image_regions"))
        previous = np.full((len(state), 1), BOS, "int32")
        logits, _ = network.decode(previous, state, memory)
        yield batch, state, logits[:, 0, :]


def _ranked(steps, vocab, neighbours=None) -> list[list[str]]:
    """Top-K tags by the (memory-mixed) first step, as `BatchDecoder`'s rank mode gives them."""
    banned = np.arange(len(vocab)) <= UNK  # PAD, BOS, EOS, UNK: never recommended
    rows = []
    for batch, state, logits in steps:
        if neighbours is not None:
            logits = neighbours.mix(logits, neighbours.vote(state, batch.get("text_ids")))
        scores = np.where(banned, -np.inf, np.asarray(logits))
        rows.extend(np.argsort(-scores, axis=1, kind="stable")[:, :K])
    return [vocab.decode(row) for row in rows]


def amnn_fold_scores(changes: dict, seed: int, train: Posts, held: Posts,
                     work: Path) -> dict:
    """Train AMNN as `train.py --data TRAIN` does (with `changes`); score `held` many ways.

    The model stops early on a by-photo split of `train`, exactly like the defaults of
    train.py; then the held-out posts are ranked by the first decoder step with the
    memory off and with every `MEMORY_GRID` setting, and decoded tag after tag (sequence)
    with the memory off. Returns {"epochs_run", "scores": {label: [P@1, R@5, A@5]}}.
    """
    folder = work / "fold_model"
    summary = train_as_train_py(AMNNConfig(seed=seed, **changes), train, folder)
    trained = load_model_folder(folder)
    inputs = padded_model_inputs(held, trained.config, trained.vectorizer)
    steps = list(_first_steps(trained, inputs))
    vocab, truths = trained.hashtag_vocab, held.hashtags
    scores = {"memory off": headline(_ranked(steps, vocab), truths)}
    sequence = BatchDecoder(trained.network, len(vocab))
    scores["memory off, sequence"] = decoded_scores(sequence, inputs, held, vocab, rank=False)
    if trained.neighbours is not None:
        for setting in MEMORY_GRID:
            scores[memory_label(*setting)] = headline(
                _ranked(steps, vocab, trained.neighbours.with_settings(*setting)), truths)
    shutil.rmtree(folder, ignore_errors=True)
    return {"epochs_run": summary["epochs_run"], "scores": scores}


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
