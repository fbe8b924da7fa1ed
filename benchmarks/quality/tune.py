"""Choose settings by cross-validation on the training posts alone, folds grouped by photo.

    python -m benchmarks.tune                              # every set (about 30 min, 2 cores)
    python -m benchmarks.tune --sets korean mediaeval      # some sets

For each data set, `SET/train` is cut into --folds folds by photo (`amnn.data.splits.
photo_folds`: a photo and its copies never straddle folds). Every candidate is fitted on the
other folds and scored on the held-out one: AMNN per setting group after every epoch, with
its own mix of network and vote chosen inside the fold, and the network alone in sequence
(greedy) and rank decoding; each baseline over its grid of neighbours and text weight. A candidate's score is the mean over folds of [P@1, R@5, A@5] of its top 5, and
the objective is the mean of those three. The best candidate of each method is its choice.
`SET/val` is never read here: the quality benchmark scores each choice on it once.

Writes benchmarks/results/tune.json (every candidate's fold scores and each choice) and the
`tune` block of docs/BENCHMARKS.md. Finished fold runs are kept in WORK/runs.jsonl, so an
interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from amnn.config import PRESETS
from amnn.data.posts import read_posts
from amnn.data.splits import photo_folds
from amnn.jsonio import write_json
from benchmarks.common.paths import DOCS, REPO, RESULTS
from benchmarks.common.report import replace_block
from benchmarks.common.run_log import RunLog, missing_sets, shared_data_root

FOLD_SEED = 0
# AMNN variants (changes from the defaults), each trained once per fold as train.py does.
AMNN_VARIANTS = {"defaults": {}, "lexical off": {"lexical_text": False},
                 "paper preset": dict(PRESETS["paper"]), "stop on val loss": {"stop_on": "loss"},
                 # A lever for the network alone: its first step, which rank decoding
                 # reads, trained on every tag of a post instead of the first one.
                 "remaining loss": {"tag_loss": "remaining"}}
# In each run's key, so runs made under an older protocol never mix in. A run's key holds
# the variant's changes, not AMNNConfig's defaults: change this string whenever a default
# that training reads changes, or old runs are reused as if made with the new default.
PROTOCOL = "train.py defaults, ranking stop, mix chosen per model on its stopping split"
SETS = ("korean", "mediaeval", "tweeteval")
NEIGHBOURS = (5, 10, 20, 40, 80, 160)  # as the mix choice's grid, and 5 below it
BASELINE_GRID = {
    "popular": [{}],
    "text-knn": [{"n_neighbors": k} for k in NEIGHBOURS],
    "image-knn": [{"n_neighbors": k} for k in NEIGHBOURS],
    "multimodal-knn": [{"n_neighbors": k, "alpha": a} for k in NEIGHBOURS
                       for a in (0.25, 0.5, 0.75)],
}
IMAGE_METHODS = ("image-knn", "multimodal-knn")


def build_parser() -> argparse.ArgumentParser:
    """The flags.

    Example:
        >>> build_parser().parse_args([]).folds
        3
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_fold_flags(parser, "tune")
    parser.add_argument("--variants", nargs="+", choices=list(AMNN_VARIANTS),
                        default=list(AMNN_VARIANTS),
                        help="AMNN variants to train on the folds (the defaults are the "
                             "headline; the others are ablations)")
    return parser


def add_fold_flags(parser: argparse.ArgumentParser, name: str) -> None:
    """The flags of a benchmark on folds of the training posts; `name` names its scratch
    folder (runs/NAME) and its results (benchmarks/results/NAME.json)."""
    parser.add_argument("--data-root", type=Path, default=shared_data_root())
    parser.add_argument("--sets", nargs="+", default=list(SETS),
                        help="data set folders under --data-root")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1, help="AMNN's weights and shuffling")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / name)
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--results", type=Path,
                        default=RESULTS / f"{name}.json")


def objective(scores: list[float]) -> float:
    """The mean of [P@1, R@5, A@5]: one number to rank candidates by.

    Example:
        >>> objective([0.5, 0.6, 0.7])
        0.6
    """
    return round(sum(scores) / len(scores), 4)


def mean_scores(per_fold: list[list[float]]) -> list[float]:
    """Column means over folds, rounded to 4 places.

    Example:
        >>> mean_scores([[0.5, 0.5, 1.0], [0.7, 0.5, 0.0]])
        [0.6, 0.5, 0.5]
    """
    return [round(sum(column) / len(column), 4) for column in zip(*per_fold)]


def _fold_runs(data_set: str, train, folds, args, log: RunLog):
    """Yield (method, candidate label, settings, fold, scores) for every fold run."""
    from benchmarks.quality.tune_runs import amnn_fold_scores, baseline_scores

    has_photos = train.has_images
    for method, grid in BASELINE_GRID.items():
        if method in IMAGE_METHODS and not has_photos:
            continue
        for options in grid:
            for fold, (fit, held) in enumerate(folds):
                key = json.dumps([data_set, method, options, fold])
                if log.get(key) is None:
                    log.add(key, baseline_scores(method, options, train.select(fit),
                                                 train.select(held)))
                yield method, json.dumps(options, sort_keys=True), options, fold, log.get(key)
    for variant, changes in AMNN_VARIANTS.items():
        if variant not in args.variants:
            continue
        for fold, (fit, held) in enumerate(folds):
            key = json.dumps([data_set, "AMNN", changes, fold, args.seed, PROTOCOL])
            if log.get(key) is None:
                started = time.perf_counter()
                log.add(key, amnn_fold_scores(changes, args.seed, train.select(fit),
                                              train.select(held), args.work))
                print(f"{data_set}: AMNN {variant} fold {fold + 1}/{len(folds)} in "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            run = log.get(key)
            for label, scores in run["scores"].items():
                method, settings = _amnn_candidate(variant, label)
                if method is not None:
                    yield method, label, dict(settings, epochs_run=run["epochs_run"]), fold, \
                        scores


def _amnn_candidate(variant: str, label: str):
    """(method, settings) of one way to decode one AMNN variant, or (None, None) to skip.

    Each model chooses its own mix of network and vote when trained ("chosen mix", what
    predict.py gives); the defaults' "AMNN" is that, and their vote-alone, memory-off and
    sequence decodings, and the other variants' chosen mix, are the ablation rows.

    Example:
        >>> _amnn_candidate("defaults", "chosen mix"), _amnn_candidate("defaults", "vote alone")
        (('AMNN', {}), ('AMNN vote alone', {}))
    """
    if variant == "defaults":
        return ("AMNN", {}) if label == "chosen mix" else (f"AMNN {label}", {})
    if variant == "paper preset":  # the published decoding: greedy, no memory
        return ("AMNN paper preset", {}) if label == "memory off, sequence" else (None, None)
    if label == "chosen mix":
        return f"AMNN {variant}", {}
    if label == "memory off":  # what a variant does for the network alone
        return f"AMNN {variant}, memory off", {}
    return None, None


def tune_set(data_set: str, args, log: RunLog) -> dict:
    """Every candidate's mean fold scores on one set, and the best candidate of each method."""
    train = read_posts(args.data_root / data_set / "train")
    folds = photo_folds(train, args.folds, FOLD_SEED)
    table: dict[tuple, dict] = {}
    for method, label, settings, fold, scores in _fold_runs(data_set, train, folds, args,
                                                            log):
        epochs = settings.pop("epochs_run", None)
        entry = table.setdefault((method, label), {"method": method, "candidate": label,
                                                   "settings": settings, "folds": []})
        entry["folds"].append(scores)
        if epochs is not None:
            entry.setdefault("epochs_run", []).append(epochs)
    candidates = []
    for entry in table.values():
        entry["mean"] = mean_scores(entry["folds"])
        entry["objective"] = objective(entry["mean"])
        candidates.append(entry)
    chosen = {}
    for entry in candidates:  # first best wins ties: grids list simpler settings first
        best = chosen.get(entry["method"])
        if best is None or entry["objective"] > best["objective"]:
            chosen[entry["method"]] = entry
    return {"posts": len(train), "folds": args.folds, "candidates": candidates,
            "chosen": {method: _summary(entry) for method, entry in chosen.items()}}


def _summary(entry: dict) -> dict:
    return {key: entry[key] for key in ("candidate", "settings", "mean", "objective",
                                        "epochs_run") if key in entry}


def markdown(results: dict, args) -> str:
    """The `tune` block of docs/BENCHMARKS.md: each method's choice per set."""
    lines = [f"Chosen by `python -m benchmarks.tune --folds {args.folds}` on {args.folds} folds "
             "of each set's training posts, grouped by photo; val was not read. Scores are "
             "means over folds of the held-out posts' top 5.", ""]
    lines += ["AMNN's mix of network and neighbours' vote is not chosen here: every model "
              "chooses its own on the posts it held out for early stopping "
              "(`amnn/train/mix_choice.py`), inside each fold.", ""]
    for data_set, result in results.items():
        lines += [f"**{data_set}** ({result['posts']} training posts)", "",
                  "| method | chosen | P@1 | R@5 | A@5 | objective | epochs (stopped) |",
                  "|---|---|---|---|---|---|---|"]
        for method, entry in sorted(result["chosen"].items(), key=lambda i: -i[1]["objective"]):
            p1, r5, a5 = entry["mean"]
            epochs = ", ".join(str(e) for e in entry.get("epochs_run", [])) or "–"
            lines.append(f"| {method} | {entry['candidate']} | {p1:.3f} | {r5:.3f} | {a5:.3f} "
                         f"| {entry['objective']:.3f} | {epochs} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if missing_sets(args.data_root, args.sets):
        return 2
    log = RunLog(args.work / "runs.jsonl")
    previous = json.loads(args.results.read_text()) if args.results.is_file() else {}
    previous.pop("memory choice", None)  # from before each model chose its own mix
    previous.update({data_set: tune_set(data_set, args, log) for data_set in args.sets})
    write_json(args.results, previous)
    replace_block(args.docs / "BENCHMARKS.md", "tune", markdown(previous, args))
    print(f"wrote {args.results} and the tune block of {args.docs / 'BENCHMARKS.md'}",
          file=sys.stderr)
    return 0

