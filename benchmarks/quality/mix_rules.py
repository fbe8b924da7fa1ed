"""How each model should choose its mix of network and vote: rules compared on folds.

    python -m benchmarks.mix_rules                    # every set (about 30 min, 2 cores)
    python -m benchmarks.mix_rules --sets mediaeval

`train.py` chooses the mix (`amnn.train.mix_choice`) on the posts it held out for early
stopping: without --val a by-photo split of about a tenth of the photos, a few dozen on
MediaEval. Whether the best candidate on so few photos is also good on new posts is the
question here. For each fold of each set's *training* posts (grouped by photo, as
`benchmarks.tune`), AMNN is trained as `train.py --data FOLD_TRAIN` trains it, and every
candidate of the grid is scored twice: on the stopping split it is chosen on, and on the
held-out fold, which plays the new posts. Each rule picks a candidate from the stopping
split's scores alone; the table gives what its pick scores on the held-out folds, beside
the network alone and the best candidate in hindsight. `SET/val` is never read.

Writes benchmarks/results/mix_rules.json and the `mix rules` block of docs/BENCHMARKS.md;
finished folds are kept in WORK/runs.jsonl, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import read_posts
from amnn.data.splits import photo_folds, split_by_image
from amnn.data.vocabulary import UNK
from amnn.jsonio import write_json
from amnn.model.folder import load_model_folder
from amnn.model.neighbours import build_neighbour_memory
from amnn.train.mix_choice import held_out_views, score_grid
from amnn.train.preparation import prepare
from benchmarks.common.report import replace_block
from benchmarks.common.run_log import RunLog, missing_sets
from benchmarks.common.script_training import train_as_train_py
from benchmarks.quality.tune import FOLD_SEED, add_fold_flags



def _landscape(network, memory, encoded, features) -> dict[str, float]:
    """Every grid candidate's score on `encoded` (posts with targets), keyed by its label."""
    truths = [[t for t in target if t > UNK] for target in encoded.targets]
    probabilities, views = held_out_views(memory, network, encoded, features)
    return {label(c): round(c["score"], 5)
            for c in score_grid(probabilities, views, memory, truths, {})}


def label(candidate: dict) -> str:
    """A candidate's name.

    Example:
        >>> label({"neighbors": 40, "weight": 0.5, "text_share": 0.25, "photo_share": 0.5})
        'k=40 w=0.5 words=0.25 photo=0.5'
    """
    return (f"k={candidate['neighbors']} w={candidate['weight']} "
            f"words={candidate['text_share']} photo={candidate['photo_share']}")


def fold_landscapes(train, fit, held, seed: int, work: Path) -> dict:
    """Train on posts `fit` as train.py does; the grid scored on its stopping split and on
    the held-out posts `held`."""
    folder = work / "fold_model"
    config = AMNNConfig(seed=seed)
    fit_posts = train.select(fit)
    summary = train_as_train_py(config, fit_posts, folder)
    network = load_model_folder(folder).network
    shutil.rmtree(folder, ignore_errors=True)
    keep, stop = split_by_image(fit_posts, config.val_fraction, config.seed)
    # The same vocabularies as training: built from the same posts, the same way.
    chosen_on = prepare(config, fit_posts.select(keep), fit_posts.select(stop), progress=False)
    new = prepare(config, fit_posts.select(keep), train.select(held), progress=False)
    # The memory of the posts trained on, as when the mix is chosen (the shipped memory
    # also holds the stopping posts: a tenth more neighbours, left out here).
    memory = build_neighbour_memory(network, chosen_on.train, chosen_on.features,
                                    len(chosen_on.vocab), 1, 0.0,
                                    chosen_on.sizes.word_vocab_size)
    return {"epochs_run": summary["epochs_run"], "stop_posts": len(chosen_on.val),
            "held_posts": len(new.val),
            "stop": _landscape(network, memory, chosen_on.val, chosen_on.features),
            "held": _landscape(network, memory, new.val, new.features)}


def _pick(scores: dict[str, float], allowed=None) -> str:
    """The first best label of `scores` (grid order: the network alone comes first)."""
    labels = [name for name in scores if allowed is None or allowed(name)]
    return max(labels, key=lambda name: scores[name])


def _parse(name: str) -> dict:
    return {key: float(value) for key, value in (part.split("=") for part in name.split())}


def _smoothed(scores: dict[str, float]) -> str:
    """The candidate whose score, averaged with its grid neighbours', is best."""
    parsed = {name: _parse(name) for name in scores}
    ks = sorted({p["k"] for p in parsed.values()})
    ws = sorted({p["w"] for p in parsed.values()})

    def near(a: dict, b: dict) -> bool:
        return (abs(ks.index(a["k"]) - ks.index(b["k"])) <= 1
                and abs(ws.index(a["w"]) - ws.index(b["w"])) <= 1
                and abs(a["words"] - b["words"]) <= 0.25 and abs(a["photo"] - b["photo"]) <= 0.25)

    averaged = {name: np.mean([scores[other] for other in scores
                               if near(parsed[name], parsed[other])]) for name in scores}
    return max(averaged, key=averaged.get)


RULES = {
    "best on the stopping split": lambda s: _pick(s),
    "best, views in equal shares": lambda s: _pick(s, lambda n: _equal_views(n, s)),
    "best, smoothed over the grid": _smoothed,
    "fixed middle (k=40 w=0.5, equal views)": lambda s: _middle(s),
}


def _equal_views(name: str, scores) -> bool:
    """Whether candidate `name` splits the similarity evenly among the grid's views (in
    quarters: words and photo .25 each beside the encoding, or one of them .5)."""
    parsed = [_parse(n) for n in scores]
    words = any(p["words"] > 0 for p in parsed)
    photo = any(p["photo"] > 0 for p in parsed)
    share = 0.25 if words and photo else 0.5
    candidate = _parse(name)
    return (candidate["words"] == (share if words else 0.0)
            and candidate["photo"] == (share if photo else 0.0))


def _middle(scores) -> str:
    return _pick(scores, lambda n: _equal_views(n, scores) and _parse(n)["k"] == 40
                 and _parse(n)["w"] == 0.5)


def summarise(folds: list[dict]) -> dict:
    """Per rule, the mean held-out score of its picks; with the network alone and hindsight."""
    rows = {}
    for rule, pick in RULES.items():
        picks = [pick(fold["stop"]) for fold in folds]
        rows[rule] = {"held": round(float(np.mean([f["held"][p] for f, p in
                                                   zip(folds, picks)])), 4),
                      "picks": picks}
    network = [next(iter(f["held"].values())) for f in folds]  # k=.. w=0.0: the network
    rows["network alone"] = {"held": round(float(np.mean(network)), 4), "picks": []}
    rows["best in hindsight"] = {"held": round(float(np.mean(
        [max(f["held"].values()) for f in folds])), 4), "picks": []}
    return rows


def markdown(results: dict) -> str:
    """The `mix rules` block of docs/BENCHMARKS.md."""
    lines = ["How a model should choose its mix, measured on 3 folds of each set's training "
             "posts by photo (`python -m benchmarks.mix_rules`): each rule picks from the "
             "grid's scores on the stopping split; the table gives the mean objective (mean "
             "of P@1, R@5, A@5) of its picks on the held-out folds. val was not read.", "",
             "| rule | " + " | ".join(results) + " |",
             "|---|" + "---|" * len(results)]
    rules = list(next(iter(results.values()))["rules"])
    for rule in rules:
        lines.append(f"| {rule} | " + " | ".join(
            f"{r['rules'][rule]['held']:.3f}" for r in results.values()) + " |")
    lines.append("")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The flags.

    Example:
        >>> build_parser().parse_args([]).folds
        3
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_fold_flags(parser, "mix_rules")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if missing_sets(args.data_root, args.sets):
        return 2
    log = RunLog(args.work / "runs.jsonl")
    results = json.loads(args.results.read_text()) if args.results.is_file() else {}
    for data_set in args.sets:
        train = read_posts(args.data_root / data_set / "train")
        folds = []
        for fold, (fit, held) in enumerate(photo_folds(train, args.folds, FOLD_SEED)):
            key = json.dumps([data_set, fold, args.seed, "mix rules v2: votes mixed per view"])
            if log.get(key) is None:
                started = time.perf_counter()
                log.add(key, fold_landscapes(train, fit, held, args.seed, args.work))
                print(f"{data_set}: fold {fold + 1}/{args.folds} in "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            folds.append(log.get(key))
        results[data_set] = {"folds": len(folds), "rules": summarise(folds),
                             "epochs_run": [f["epochs_run"] for f in folds]}
    write_json(args.results, results)
    replace_block(args.docs / "BENCHMARKS.md", "mix rules", markdown(results))
    print(f"wrote {args.results} and the mix rules block of {args.docs / 'BENCHMARKS.md'}",
          file=sys.stderr)
    return 0

