"""Caption writing: the caption model from photo, from hashtags and from both, against retrieval.

    python -m benchmarks.captions                       # demo, korean, mediaeval
    python -m benchmarks.captions --sets demo korean    # the quick two

Protocol (as for hashtags, docs/BENCHMARKS.md): every choice is made on folds of the
training posts grouped by photo (`amnn.data.splits.photo_folds`), then val is scored once.
Choices: the decoding (greedy or a beam of 3) of the caption model from both inputs (from
hashtags where a set has no photos), whether it reads hashtags as their words
(`hashtag_words`, amnn/data/text/hashtag_words.py), and the tag share `alpha` of the
retrieval-both baseline; the objective is the mean of BLEU-1 and ROUGE-L F
(`amnn.evaluate.caption_metrics`). The first two are the library's defaults
(`caption_beam_size`, `hashtag_words`), set from these folds; the val rows use the defaults,
so each is what `scripts/train.py --task caption --data SET/train --out M` then
`scripts/predict.py --model M ...` give with no other flag. On val: what that model
ships ("shipped": the writer or the retriever train.py chose on its own held-out split by
photo) and what its writer alone writes ("writer"), from both inputs (3 seeds), from the
photo alone and from the hashtags alone (1 seed each; 3 on a set without photos, where
the hashtags are the main input); beside each, the share of distinct
captions per distinct input and of captions repeating a content word
(`benchmarks.captions.measures`), also for the posts' own captions; against the most
frequent training caption and the caption
of the most similar training post by photo, by tags (as words, and by what they mean)
and by both
(`amnn.evaluate.caption_baselines`). Sets without photos (korean) have the hashtag rows
only. "demo" is the embedded demo: dataset/ for training, test_dataset/ as val.

Finished runs are kept in WORK/runs.jsonl (keyed by their settings) and reused by a
rerun; --restart forgets them. Writes benchmarks/results/captions.json and the `captions`
block of docs/BENCHMARKS.md, with a few written captions beside the true ones.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.captions.measures import (
    caption_measures,
    distinct_ceiling,
    pick_examples,
)
from benchmarks.common.paths import DOCS, REPO, RESULTS
from benchmarks.common.run_log import shared_data_root

SETS = ("demo", "korean", "mediaeval")
INPUTS = {"both": {}, "photo": {"caption_from_hashtags": False},
          "hashtags": {"include_image": False}}
SEEDS = {"both": (1, 2, 3), "photo": (1,), "hashtags": (1,)}
BEAMS = (1, 3)
ALPHAS = (0.25, 0.5, 0.75)
FOLDS = 3  # folds made; --folds of them are run (each trains one model)
# In each run's key, so that runs made under older rules are never reused as if made now.
# Fold runs score the writer alone: they changed when decoding stopped repeating words.
WRITER_PROTOCOL = "ships the choice; no repeated content word"
# Val runs score what train.py ships: they also changed when it began to choose its
# retriever on folds of the training posts, among them one by what the tags mean.
PROTOCOL = WRITER_PROTOCOL + "; retriever chosen on folds; tags by meaning (half precision)"


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's flags.

    Example:
        >>> build_parser().parse_args([]).folds
        2
    """
    # prog: else the usage line would name "__main__.py", the file the package runs
    parser = argparse.ArgumentParser(prog="python -m benchmarks.captions",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", type=Path, default=shared_data_root(),
        help="folder holding korean/ and mediaeval/")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--folds", type=int, default=2, choices=range(1, FOLDS + 1),
                        help=f"how many of the {FOLDS} folds to run")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "captions")
    parser.add_argument("--restart", action="store_true", help="forget finished runs")
    parser.add_argument("--results", type=Path,
                        default=RESULTS / "captions.json")
    parser.add_argument("--docs", type=Path, default=DOCS)
    return parser


def objective(scores: dict) -> float:
    """What the folds maximise: the mean of BLEU-1 and ROUGE-L F.

    Example:
        >>> objective({"BLEU-1": 0.2, "ROUGE-L F": 0.1})
        0.15
    """
    return round((scores["BLEU-1"] + scores["ROUGE-L F"]) / 2, 6)


def _split_paths(data_root: Path, name: str) -> tuple[Path, Path]:
    if name == "demo":
        return REPO / "dataset", REPO / "test_dataset"
    return data_root / name / "train", data_root / name / "val"


def _scores(predictions, truths) -> dict:
    from amnn.evaluate.caption_metrics import caption_scores

    return {name: round(value, 4) for name, value in caption_scores(predictions, truths).rows()}


def _model_captions(config, train, held, folder: Path, beams,
                    methods=("write",)) -> dict:
    """Train as train.py does, then caption `held` with each method and beam width.

    Methods are predict.py's `--caption-method`: "write" (the writer), "auto" (what the
    folder ships: the writer or the retriever train.py chose on its held-out posts).
    """
    from amnn.model.folder import load_model_folder
    from amnn.serve.caption_predictor import CaptionPredictor
    from benchmarks.common.script_training import train_caption_as_train_py

    began = time.perf_counter()
    summary = train_caption_as_train_py(config, train, folder)
    trained = time.perf_counter() - began
    model = load_model_folder(folder)
    written, answers = {}, None
    for method in methods:
        predictor = CaptionPredictor(model, progress=False, method=method)
        answers = predictor.answers if method == "auto" else answers
        for beam in beams:
            written[(method, beam)] = predictor.predict(held, beam_size=beam)
    return {"written": written, "epochs_run": summary["epochs_run"],
            "train_seconds": round(trained, 1), "ships": answers,
            "function_words": model.vectorizer.function_words or []}


def _baseline_captions(name: str, train, held, alpha: float = 0.5) -> list[str]:
    from amnn.evaluate.caption_baselines import make_caption_baseline

    return make_caption_baseline(name, alpha=alpha).fit(train).predict(held)


def choose_on_folds(name: str, train, args, log) -> dict:
    """The beam width and retrieval-both's alpha that score best on the training folds."""
    from amnn.config import AMNNConfig
    from amnn.data.splits import photo_folds

    photos = train.has_images
    inputs = "both" if photos else "hashtags"
    beams, alphas = {b: [] for b in BEAMS}, {a: [] for a in ALPHAS}
    words = {False: [], True: []}
    for fold, (fit, held) in enumerate(photo_folds(train, FOLDS, seed=0)[:args.folds]):
        fit_posts, held_posts = train.select(fit), train.select(held)
        for as_words in (False, True):
            # (keys without "|words" are the runs that read hashtags whole)
            key = f"{name}|fold{fold}|{inputs}|seed1" + ("|words" if as_words else "") \
                + f"|{WRITER_PROTOCOL}"
            value = log.get(key)
            if value is None:
                config = AMNNConfig(task="caption", seed=1, hashtag_words=as_words,
                                    **INPUTS[inputs])
                run = _model_captions(config, fit_posts, held_posts,
                                      args.work / name / f"fold{fold}", BEAMS)
                value = {str(b): _scores(run["written"][("write", b)], held_posts.texts)
                         for b in BEAMS}
                log.add(key, value)
            words[as_words].append(float(np.mean([objective(v) for v in value.values()])))
            if not as_words:
                for beam in BEAMS:
                    beams[beam].append(objective(value[str(beam)]))
        if photos:
            for alpha in ALPHAS:
                key = f"{name}|fold{fold}|retrieval-both|alpha{alpha}"
                if log.get(key) is None:
                    log.add(key, _scores(_baseline_captions("retrieval-both", fit_posts,
                                                            held_posts, alpha),
                                         held_posts.texts))
                alphas[alpha].append(objective(log.get(key)))
    mean = {b: float(np.mean(v)) for b, v in beams.items()}
    chosen = {"beam": max(BEAMS, key=lambda b: (mean[b], -b)),
              "beam_objective": {str(b): round(v, 4) for b, v in mean.items()},
              # mean over both beams of the objective, hashtags read whole / as words
              "hashtag_words_objective": {str(w): round(float(np.mean(v)), 4)
                                          for w, v in words.items()}}
    if photos:
        alpha_mean = {a: float(np.mean(v)) for a, v in alphas.items()}
        chosen["alpha"] = max(ALPHAS, key=lambda a: (alpha_mean[a], -abs(a - 0.5)))
        chosen["alpha_objective"] = {str(a): round(v, 4) for a, v in alpha_mean.items()}
    return chosen


def measure_set(name: str, args, log) -> dict:
    """Fold choices, then every row on val."""
    from amnn.config import AMNNConfig
    from amnn.data.posts import read_posts

    train_path, val_path = _split_paths(args.data_root, name)
    train, val = read_posts(train_path), read_posts(val_path)
    chosen = choose_on_folds(name, train, args, log)
    defaults = AMNNConfig()
    beam, as_words = defaults.caption_beam_size, defaults.hashtag_words
    photos = train.has_images
    rows, examples, function_words = {}, None, None
    for inputs in (INPUTS if photos else ("hashtags",)):
        per_seed = []
        # A set's main model (from both; from hashtags where it has no photos) gets 3 seeds.
        for seed in SEEDS["both"] if inputs == ("both" if photos else "hashtags") \
                else SEEDS[inputs]:
            key = (f"{name}|val|{inputs}|seed{seed}|beam{beam}" + ("|words" if as_words else "")
                   + f"|{PROTOCOL}")
            value = log.get(key)
            if value is None:
                config = AMNNConfig(task="caption", seed=seed, **INPUTS[inputs])
                run = _model_captions(config, train, val, args.work / name / f"{inputs}{seed}",
                                      (beam,), methods=("auto", "write"))
                shipped, written = run["written"][("auto", beam)], run["written"][("write", beam)]
                value = {"scores": _scores(shipped, val.texts), "shipped": shipped,
                         "ships": run["ships"], "written": written,
                         "writer_scores": _scores(written, val.texts),
                         "measures": caption_measures(shipped, val, run["function_words"]),
                         "writer_measures": caption_measures(written, val,
                                                             run["function_words"]),
                         "function_words": run["function_words"],
                         "epochs_run": run["epochs_run"], "train_seconds": run["train_seconds"]}
                log.add(key, value)
            per_seed.append(value)
        function_words = function_words or per_seed[0]["function_words"]
        rows[f"shipped from {inputs}"] = dict(_mean_row(per_seed),
                                              ships=[v["ships"] for v in per_seed])
        rows[f"writer from {inputs}"] = _mean_row(
            [dict(v, scores=v["writer_scores"], measures=v["writer_measures"])
             for v in per_seed])
        if inputs in ("both", "hashtags") and examples is None:
            examples = pick_examples(val, per_seed[0]["shipped"])
    rows["the posts' own captions"] = {"scores": _scores(val.texts, val.texts), "runs": 1,
                                       "measures": caption_measures(val.texts, val,
                                                                    function_words)}
    for baseline in ("frequent", "retrieval-photo", "retrieval-tags", "retrieval-tags-meaning",
                     "retrieval-both"):
        if not photos and "photo" in baseline or not photos and baseline == "retrieval-both":
            continue
        alpha = chosen.get("alpha", 0.5)
        label = f"{baseline} (alpha {alpha})" if baseline == "retrieval-both" else baseline
        captions = _baseline_captions(baseline, train, val, alpha)
        rows[label] = {"scores": _scores(captions, val.texts), "runs": 1,
                       "measures": caption_measures(captions, val, function_words)}
    return {"chosen": chosen, "defaults": {"caption_beam_size": beam, "hashtag_words": as_words},
            "rows": rows, "examples": examples, "val_posts": len(val), "train_posts": len(train),
            "distinct_ceiling": distinct_ceiling(train, val)}


def _mean_row(per_seed: list[dict]) -> dict:
    names, measures = per_seed[0]["scores"], per_seed[0]["measures"]
    return {"scores": {n: round(float(np.mean([r["scores"][n] for r in per_seed])), 4)
                       for n in names},
            "measures": {n: round(float(np.mean([r["measures"][n] for r in per_seed])), 4)
                         for n in measures},
            "spread": {n: round(float(np.std([r["scores"][n] for r in per_seed])), 4)
                       for n in names},
            "runs": len(per_seed),
            "epochs_run": [r["epochs_run"] for r in per_seed],
            "train_seconds": [r["train_seconds"] for r in per_seed]}


def main(argv=None) -> int:
    from benchmarks.captions.report import markdown
    from benchmarks.common.report import replace_block
    from benchmarks.common.run_log import RunLog, missing_sets

    args = build_parser().parse_args(argv)
    if missing_sets(args.data_root, [s for s in args.sets if s != "demo"]):
        return 2
    log = RunLog(args.work / "runs.jsonl", restart=args.restart)
    saved = json.loads(args.results.read_text()) if args.results.is_file() else {}
    results = saved.get("results", {})
    command = ("python -m benchmarks.captions " + " ".join(sys.argv[1:] if argv is None
                                                          else argv)).strip()
    for name in args.sets:
        began = time.perf_counter()
        results[name] = measure_set(name, args, log)
        results[name].update(seconds=round(time.perf_counter() - began, 1), command=command)
        print(f"{name}: done in {results[name]['seconds']:.0f} s", file=sys.stderr, flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"machine": machine, "results": results},
                                       indent=1, ensure_ascii=False) + "\n")
    replace_block(args.docs / "BENCHMARKS.md", "captions", markdown(results, SETS))
    print(f"wrote {args.results} and the captions block of {args.docs / 'BENCHMARKS.md'}",
          file=sys.stderr)
    return 0

