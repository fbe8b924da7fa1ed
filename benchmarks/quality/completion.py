"""Completing tags a user started: how well the next tags are found once the first is given.

    python -m benchmarks.completion                          # korean, mediaeval, tweeteval
    python -m benchmarks.completion --sets korean mediaeval  # the quicker two first

For each set under ../shared/data (or --data-root / $AMNN_SHARED_DATA), the defaults are
trained on SET/train as `scripts/train.py --data SET/train --out M` trains them. On
SET/val, every post with two or more tags is given its first tag (as written), and its
OTHER tags are the truth: P@1, R@5 and A@5 of the top 5 (the published definitions,
`amnn.evaluate.metrics`), for

- AMNN given the first tag: primed with it (`given_hashtags`), the model's default decode;
- AMNN not given it: its usual recommendations with the given tag removed, then the top 5;
- both again with the neighbour memory off (`--memory off`): the defaults' memory weight is
  1.0, so by default the vote alone ranks the tags and the primed decoder cannot change
  them; these rows show what the priming does to the network's own ranking;
- co-occurrence given the first tag: training tags ranked by how often they share a post
  with it, ties by popularity (`amnn.evaluate.cooccurrence`);
- popular tags with the given tag removed (a reference: no caption, photo or given tag).

Nothing is chosen on val; it is only measured. Writes benchmarks/results/completion.json
(sets already there and not rerun are kept) and the `completion` block of docs/BENCHMARKS.md. Trained models are
kept in WORK/SET/model and reused by a rerun unless --retrain is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

from amnn.evaluate.cooccurrence import CooccurrenceCompleter
from benchmarks.common.paths import DOCS, REPO, RESULTS
from benchmarks.common.run_log import shared_data_root

SETS = ("korean", "mediaeval", "tweeteval")
K = 5
METHODS = ("AMNN given the first tag", "AMNN not given it (first tag removed)",
           "AMNN memory off, given the first tag",
           "AMNN memory off, not given it (first tag removed)",
           "co-occurrence with the first tag", "popular (first tag removed)")


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's flags.

    Example:
        >>> build_parser().parse_args([]).sets
        ['korean', 'mediaeval', 'tweeteval']
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", type=Path, default=shared_data_root(),
        help="folder holding korean/, mediaeval/ and tweeteval/")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "completion",
                        help="trained models, reused by a rerun")
    parser.add_argument("--retrain", action="store_true", help="train even if WORK has a model")
    parser.add_argument("--results", type=Path,
                        default=RESULTS / "completion.json")
    parser.add_argument("--docs", type=Path, default=DOCS)
    return parser


def completion_split(posts):
    """Posts with 2+ tags; each one's first tag (given) and its other tags (truth).

    Example:
        >>> from amnn.data.posts import Posts
        >>> posts = Posts.from_rows("v.csv", ["tweets", "hashtags"],
        ...                         [["a", "x y z"], ["b", "x"]], [2, 3])
        >>> kept, given, others = completion_split(posts)
        >>> len(kept), given, others
        (1, [['x']], [['y', 'z']])
    """
    rows = [i for i, tags in enumerate(posts.hashtags) if len(tags) >= 2]
    kept = posts.select(rows)
    return kept, [tags[:1] for tags in kept.hashtags], [tags[1:] for tags in kept.hashtags]


def without_given(predictions, given, k: int = K):
    """Each list with its given tags removed, then its top `k`.

    Example:
        >>> without_given([["a", "b", "c"]], [["b"]], k=2)
        [['a', 'c']]
    """
    return [[t for t in tags if t not in set(g)][:k] for tags, g in zip(predictions, given)]


def headline(predictions, truths) -> dict:
    """P@1, R@5 and A@5 (4 places) and the number of posts scored."""
    from amnn.evaluate.metrics import metrics_at_k

    table = metrics_at_k(predictions, truths, K)
    return {"P@1": round(table.precision[0], 4), "R@5": round(table.recall[K - 1], 4),
            "A@5": round(table.accuracy[K - 1], 4), "posts": table.n_posts}


def measure_set(data_root: Path, name: str, work: Path, retrain: bool) -> dict:
    """Train (or reuse) the defaults on NAME/train and score the four methods on NAME/val."""
    from amnn.config import AMNNConfig
    from amnn.data.posts import read_posts
    from amnn.evaluate.baselines import make_baseline
    from amnn.model.folder import load_model_folder
    from amnn.model.folder_names import MANIFEST
    from amnn.serve.predictor import HashtagPredictor
    from benchmarks.common.script_training import train_as_train_py

    train = read_posts(data_root / name / "train")
    val, given, others = completion_split(read_posts(data_root / name / "val"))
    folder = work / name / "model"
    training = work / name / "training.json"  # how the kept model was trained
    if retrain or not (folder / MANIFEST).is_file() or not training.is_file():
        started = time.perf_counter()
        summary = train_as_train_py(AMNNConfig(), train, folder)
        training.write_text(json.dumps({"epochs_run": summary["epochs_run"], "train_seconds":
                                        round(time.perf_counter() - started, 1)}))
    trained = load_model_folder(folder)
    begun = time.perf_counter()
    rows = []
    for memory in (None, False):  # as trained (on), then off
        predictor = HashtagPredictor(trained, progress=False, memory=memory)
        rows.append(predictor.predict(dataclasses.replace(val, given_hashtags=given),
                                      top_k=K))
        # One spare tag, for the given one that is removed.
        rows.append(without_given(predictor.predict(val, top_k=K + 1), given))
    decode_seconds = round(time.perf_counter() - begun, 1)
    rows.append(CooccurrenceCompleter().fit(train.hashtags).complete(given, K))
    rows.append(without_given(make_baseline("popular").fit(train).recommend(val, K + 1), given))
    known = sum(g[0] in trained.hashtag_vocab for g in given) / max(len(given), 1)
    return {"scores": {method: headline(p, others) for method, p in zip(METHODS, rows)},
            "val_posts_with_2_tags": len(given),
            "first_tag_known_to_model": round(known, 4), "decode": trained.config.decode,
            "memory_weight": trained.config.memory_weight, **json.loads(training.read_text()),
            "decode_seconds": decode_seconds}


def markdown_rows(results: dict) -> str:
    """The `completion` block of docs/BENCHMARKS.md."""
    lines = [
             ("Posts of SET/val with two or more tags; each is given its first tag and scored "
             "on its other tags. AMNN is the defaults trained as `scripts/train.py --data "
             "SET/train` trains them, decoded as predict.py decodes with no flag. Nothing "
             "is chosen on val."), "",
             "| set | method | P@1 | R@5 | A@5 | posts |", "|---|---|---|---|---|---|"]
    for name in SETS:
        if name not in results:
            continue
        for method, s in results[name]["scores"].items():
            lines.append(f"| {name} | {method} | {s['P@1']:.3f} | {s['R@5']:.3f} | "
                         f"{s['A@5']:.3f} | {s['posts']} |")
    lines += ["", ("| set | first tag in the model's vocabulary | epochs | training s | "
              "run s |"), "|---|---|---|---|---|"]
    for name in SETS:
        if name in results:
            r = results[name]
            lines.append(f"| {name} | {r['first_tag_known_to_model']:.1%} | "
                         f"{r['epochs_run']} | {r['train_seconds']} | {r['seconds']} |")
    commands = dict.fromkeys(r["command"] for r in results.values())
    return "\n".join(lines + [""] + [f"Command: `{c}`" for c in commands] + [""])


def main(argv=None) -> int:
    from benchmarks.common.report import replace_block
    from benchmarks.common.run_log import missing_sets

    args = build_parser().parse_args(argv)
    if missing_sets(args.data_root, args.sets):
        return 2
    results = json.loads(args.results.read_text()) if args.results.is_file() else {}
    results = results.get("results", {})
    command = "python -m benchmarks.completion " + " ".join(sys.argv[1:] if argv is None
                                                           else argv)
    for name in args.sets:
        begun = time.perf_counter()
        results[name] = measure_set(args.data_root, name, args.work, args.retrain)
        results[name]["seconds"] = round(time.perf_counter() - begun, 1)
        results[name]["command"] = command.strip()
        print(f"{name}: done in {results[name]['seconds']:.0f} s", file=sys.stderr, flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"machine": machine, "k": K, "results": results},
                                       indent=1) + "\n")
    replace_block(args.docs / "BENCHMARKS.md", "completion", markdown_rows(results))
    print(f"wrote {args.results} and the completion block of {args.docs / 'BENCHMARKS.md'}",
          file=sys.stderr)
    return 0

