"""One scored run of AMNN or of a baseline on a train -> evaluation split.

Every method is scored by the same `amnn.evaluate.metrics.metrics_at_k` that
`scripts/result_accuracy.py` uses, against every true hashtag of each evaluated post
(tags unknown to the model included, so a method cannot win by ignoring rare tags).

AMNN is trained the way `scripts/train.py --data TRAIN` trains it: when the config asks
for early stopping, it watches a split of the *training* posts (by image, `val_fraction`);
the evaluation posts are never seen in training.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from amnn.evaluate.baselines import make_baseline
from amnn.evaluate.metrics import MetricsTable, metrics_at_k
from amnn.model.folder import load_model_folder
from amnn.data.posts import Posts
from amnn.serve.predictor import HashtagPredictor
from amnn.config import AMNNConfig
from benchmarks.quality.report import CEILING
from benchmarks.common.script_training import train_as_train_py

MAX_K = 5
MEMORY_SETTINGS = ("memory", "memory_neighbors", "memory_weight", "memory_text_share",
                   "memory_photo_share")


@dataclass
class ScoredRun:
    """The metrics of one method on one seed, with how long it took.

    Example:
        >>> run = ScoredRun("popular", 0, metrics_at_k([["a"]], [["a"]], 1), 0.1, {})
        >>> run.table.precision
        [1.0]
    """

    method: str
    seed: int
    table: MetricsTable
    seconds: float
    details: dict


def changed_settings(config: AMNNConfig) -> dict:
    """The config fields that differ from the defaults (the seed left out).

    Example:
        >>> changed_settings(AMNNConfig(seed=3, epochs=2))
        {'epochs': 2}
    """
    default = AMNNConfig().to_dict()
    return {name: value for name, value in config.to_dict().items()
            if value != default[name] and name != "seed"}


def score_baseline(name: str, train: Posts, evaluation: Posts, seed: int = 0,
                   **options) -> ScoredRun:
    """Fit baseline `name` on `train` and score its top-5 on `evaluation`.

    Example:
        >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["rain", "sandy storm"],
        ...                         ["run", "boston"], ["wind", "sandy"]], [2, 3, 4])
        >>> run = score_baseline("popular", train, train)  # sandy, storm, boston for every post
        >>> run.method, round(run.table.precision[0], 3), run.table.recall[2]
        ('popular', 0.667, 1.0)
    """
    started = time.perf_counter()
    baseline = make_baseline(name, **options).fit(train)
    predictions = baseline.recommend(evaluation, MAX_K)
    table = metrics_at_k(predictions, evaluation.hashtags, MAX_K)
    return ScoredRun(name, seed, table, time.perf_counter() - started,
                     {"settings": dict(options)})


def score_ceiling(train: Posts, evaluation: Posts) -> ScoredRun:
    """The most any recommender trained on `train` can score on `evaluation`, at every k.

    No recommender can name a tag that no training post carries, so at each k it hits at
    most min(k, the post's true tags seen in training); recommending exactly those tags
    reaches that bound. This is an oracle that reads the evaluation's answers: a measure of
    the headroom above the methods, not a method.

    Example:
        >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["x", "a b"]], [2])
        >>> new = Posts.from_rows("v.csv", ["tweets", "hashtags"], [["y", "b z"]], [2])
        >>> score_ceiling(train, new).table.recall
        [0.5, 0.5, 0.5, 0.5, 0.5]
    """
    started = time.perf_counter()
    seen = {tag for tags in train.hashtags for tag in tags}
    predictions = [[tag for tag in dict.fromkeys(tags) if tag in seen]
                   for tags in evaluation.hashtags]
    table = metrics_at_k(predictions, evaluation.hashtags, MAX_K)
    return ScoredRun(CEILING, 0, table, time.perf_counter() - started,
                     {"settings": {}})


def score_amnn(label: str, config: AMNNConfig, train: Posts, evaluation: Posts, work: Path,
               decodings: dict[str, dict]) -> list[ScoredRun]:
    """Train AMNN with `config` on `train`, then score each decoding on `evaluation`.

    Args:
        label: str. The method name; each decoding's run is named `label` + its key.
        config: AMNNConfig. The model and training settings (its seed is the run's seed).
        train, evaluation: Posts with hashtags.
        work: Path. A scratch folder for the model, removed afterwards.
        decodings: dict of name suffix -> options: `HashtagPredictor.predict`'s (`rank`,
            `beam_size`, `min_tags`) and the predictor's memory settings (`memory`,
            `memory_neighbors`, `memory_weight`, `memory_text_share`,
            `memory_photo_share`), which override the mix the model chose.

    It trains a model, so its use is shown rather than run here; the quality benchmark
    calls it once per AMNN variant and seed, and each run keeps the model's chosen mix:

        runs = score_amnn("AMNN", AMNNConfig(seed=1), train, val, Path("runs/w"),
                          {"": {}, " · memory off": {"memory": False}})
        [run.method for run in runs]  # ['AMNN', 'AMNN · memory off']
    """
    started = time.perf_counter()
    folder = work / f"{label.replace(' ', '_')}_seed{config.seed}"
    summary = train_as_train_py(config, train, folder)
    trained_seconds = time.perf_counter() - started
    trained = load_model_folder(folder)
    runs = []
    for suffix, options in decodings.items():
        begun = time.perf_counter()
        memory = {name: value for name, value in options.items() if name in MEMORY_SETTINGS}
        decoding = {name: value for name, value in options.items() if name not in memory}
        predictor = HashtagPredictor(trained, progress=False, **memory)
        predictions = predictor.predict(evaluation, top_k=MAX_K, **decoding)
        table = metrics_at_k(predictions, evaluation.hashtags, MAX_K)
        details = {"epochs_run": summary["epochs_run"], "train_seconds": round(trained_seconds, 1),
                   "decode": options, "settings": changed_settings(config),
                   "mix": summary.get("mix")}
        runs.append(ScoredRun(label + suffix, config.seed, table,
                              trained_seconds + time.perf_counter() - begun, details))
    shutil.rmtree(folder, ignore_errors=True)
    return runs

