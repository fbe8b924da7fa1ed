"""Recommendation quality of AMNN against simple baselines, on real posts, over seeds.

    python -m benchmarks.quality                      # the full benchmark (< 1 h, 2 CPU cores)
    python -m benchmarks.quality --seeds 1 --sets mediaeval   # a quicker look

Reads `../shared/data` (or --data-root / $AMNN_SHARED_DATA): on `mediaeval` (train -> val)
every baseline, on `tweeteval` and `korean` (train -> val, no photos) the text baselines;
on each, AMNN as `scripts/train.py --data TRAIN --out M` and `scripts/predict.py` give it
with no other flag (the headline row: the mix of network and neighbours' vote that each
model chose on its own held-out training posts), the same models with the vote alone, the
network alone (`--memory off`) and tag after tag, and the ablations: no lexical branch, and
the paper preset. Every setting is the defaults' or, for the baselines, the neighbours and
text weight the folds chose (benchmarks/results/tune.json). Val only scores those choices. A `ceiling` row gives the most any recommender trained on those posts
can score (each val post's own true tags that training has). Baselines have no randomness,
so they run once; AMNN runs once per seed.

Writes the `quality` block of docs/BENCHMARKS.md (tables of mean ± sample standard
deviation, the goal check, seeds, epochs, times), docs/quality_<set>.png (metrics@k per
method), and benchmarks/results/quality.json. Each finished run is also appended to
WORK/runs.jsonl, so an interrupted benchmark resumes where it stopped.
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

from amnn.config import PRESETS, AMNNConfig
from amnn.data.posts import read_posts
from benchmarks.common.paths import DOCS, REPO, RESULTS
from benchmarks.common.run_log import RunLog, missing_sets, shared_data_root
from benchmarks.quality.report import CEILING, write_outputs

# AMNN variants: config changes from the defaults, and decodings of each trained model
# ("" = as predict.py decodes with no flag; the others cost seconds, not a training).
AMNN_VARIANTS = {
    "AMNN": ({}, {"": {}, " · vote alone": {"memory_weight": 1.0},
                  " · memory off": {"memory": False},
                  " · sequence": {"rank": False},
                  " · sequence, memory off": {"rank": False, "memory": False}}),
    "AMNN lexical off": ({"lexical_text": False}, {"": {}}),
    "AMNN paper preset": (dict(PRESETS["paper"]), {"": {}, " · rank": {"rank": True}}),
}
PLAN = {
    "mediaeval": {"baselines": ["popular", "text-knn", "image-knn", "multimodal-knn"],
                  "amnn": list(AMNN_VARIANTS)},
    "tweeteval": {"baselines": ["popular", "text-knn"], "amnn": list(AMNN_VARIANTS)},
    "korean": {"baselines": ["popular", "text-knn"], "amnn": list(AMNN_VARIANTS)},
}
TUNE_RESULTS = RESULTS / "tune.json"  # written by benchmarks.tune


def fold_choices(path: Path, data_set: str) -> dict:
    """What benchmarks.tune chose for `data_set`: method -> its settings.

    Example:
        >>> import json, tempfile
        >>> path = Path(tempfile.mkdtemp()) / "tune.json"
        >>> _ = path.write_text(json.dumps({"d": {"chosen": {"text-knn": {"settings":
        ...     {"n_neighbors": 40}}}}}))
        >>> fold_choices(path, "d")
        {'text-knn': {'n_neighbors': 40}}
    """
    results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if data_set not in results:
        raise SystemExit(f"error: {path} has no fold choices for {data_set}; run "
                         f"python -m benchmarks.tune --sets {data_set} first")
    return {method: entry["settings"] for method, entry in results[data_set]["chosen"].items()}


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's flags.

    Example:
        >>> build_parser().parse_args([]).seeds
        [1, 2, 3]
    """
    # prog: else the usage line would name "__main__.py", the file the package runs
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", type=Path,
                        default=shared_data_root(),
                        help="folder holding mediaeval/, tweeteval/ and korean/")
    parser.add_argument("--sets", nargs="+", choices=sorted(PLAN), default=sorted(PLAN))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3],
                        help="seeds of the headline AMNN (the defaults)")
    parser.add_argument("--ablation-seeds", nargs="+", type=int, default=[1],
                        help="seeds of the ablations (lexical off, paper preset)")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "quality",
                        help="scratch models and the resumable runs.jsonl")
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--results", type=Path,
                        default=RESULTS / "quality.json")
    parser.add_argument("--tune", type=Path, default=TUNE_RESULTS,
                        help="the fold choices of benchmarks.tune to score")
    parser.add_argument("--restart", action="store_true",
                        help="forget the finished runs in WORK/runs.jsonl")
    return parser


def _run_key(data_set: str, method: str, seed: int, config: dict) -> str:
    # A finished run is reused only for the very same settings.
    return json.dumps([data_set, method, seed, config], sort_keys=True)


def _pending(data_set: str, seeds: list[int], choices: dict, ablation_seeds: list[int]):
    """(key, method, seed, runner) for every run the plan asks for, with the fold choices."""
    from benchmarks.quality.runs import score_amnn, score_baseline, score_ceiling

    plan = PLAN[data_set]
    yield CEILING, 0, {}, lambda tr, ev, work: [score_ceiling(tr, ev)]
    for name in plan["baselines"]:
        options = choices.get(name, {})
        yield name, 0, options, lambda tr, ev, work, name=name, options=options: [
            score_baseline(name, tr, ev, **options)]
    for label in plan["amnn"]:
        changes, decodings = AMNN_VARIANTS[label]
        for seed in (seeds if label == "AMNN" else ablation_seeds):
            config = AMNNConfig(seed=seed, **changes)
            yield label, seed, [config.to_dict(), decodings], (
                lambda tr, ev, work, label=label, config=config, decodings=decodings:
                score_amnn(label, config, tr, ev, work, decodings))


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if missing_sets(args.data_root, args.sets):
        return 2
    log = RunLog(args.work / "runs.jsonl", restart=args.restart)
    started = time.perf_counter()
    records, reused = [], 0.0
    for data_set in args.sets:
        train = read_posts(args.data_root / data_set / "train")
        evaluation = read_posts(args.data_root / data_set / "val")
        choices = fold_choices(args.tune, data_set)
        for method, seed, config, runner in _pending(data_set, args.seeds, choices,
                                                    args.ablation_seeds):
            key = _run_key(data_set, method, seed, config)
            if log.get(key) is not None:
                records.extend(log.get(key))
                # Timed when it ran: each of a run's records holds its whole time.
                reused += max(run["seconds"] for run in log.get(key))
                continue
            begun = time.perf_counter()
            runs = [dict(dataclasses.asdict(run), data_set=data_set, table=run.table.to_dict())
                    for run in runner(train, evaluation, args.work)]
            log.add(key, runs)
            records.extend(runs)
            print(f"[{time.perf_counter() - started:7.0f} s] {data_set}: {method} seed {seed} "
                  f"done in {time.perf_counter() - begun:.0f} s", file=sys.stderr, flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    write_outputs(records, args, machine, time.perf_counter() - started + reused,
                  reused)
    print(f"wrote {args.docs / 'BENCHMARKS.md'} and {args.results}", file=sys.stderr)
    return 0

