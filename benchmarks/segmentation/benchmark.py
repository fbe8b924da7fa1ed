"""Splitting hashtags into words: exact-match accuracy on hand-labelled real tags.

    python -m benchmarks.segmentation

The labels are tests/data/hashtag_segmentation_labels.tsv (tags from the val splits of
tweeteval, mediaeval and korean, and a few from mediaeval/train; see its header). They
are dealt into two halves (`assign_parts`): design choices are judged on **dev** only;
**test** is the headline, reported beside dev and all. For each set the segmenter learns
from that set's train split under ../shared/data (or --data-root / $AMNN_SHARED_DATA),
captions and hashtags (`HashtagSegmenter.fit`), never from val or the labels, and splits
that set's labelled tags. A tag counts as right only when every word matches. The
best-path split (`split`) is compared with greedy longest match over the same
vocabularies (`split_greedy`). Writes benchmarks/results/segmentation.json (dev misses
only, so that test is not studied) and the `segmentation` block of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from benchmarks.common.paths import DOCS, RESULTS
from benchmarks.common.run_log import shared_data_root
from benchmarks.segmentation.coverage import coverage_sentence, unseen_word_tags
from benchmarks.segmentation.labels import LABELS, PARTS, Label, read_labels
from benchmarks.segmentation.notes import CHOICES

SETS = ("tweeteval", "mediaeval", "korean")
METHODS = ("viterbi", "greedy")


def score(labels: list[Label], splits: list[list[str]]) -> dict:
    """Exact-match accuracy per set, for multi-word and single-word tags, and overall.

    Example:
        >>> rows = [Label("newyork", "new york", "mediaeval/val"),
        ...         Label("nyc", "nyc", "mediaeval/val")]
        >>> score(rows, [["new", "york"], ["ny", "c"]])["mediaeval"]
        {'all': 0.5, 'multi': 1.0, 'single': 0.0, 'tags': 2}
    """
    groups: dict[str, list[bool]] = {}
    for label, words in zip(labels, splits):
        right = " ".join(words) == label.words
        kind = "multi" if " " in label.words else "single"
        for group in (label.source.split("/")[0], "overall"):
            groups.setdefault(f"{group}:all", []).append(right)
            groups.setdefault(f"{group}:{kind}", []).append(right)
    result: dict[str, dict] = {}
    for key, hits in groups.items():
        group, kind = key.split(":")
        result.setdefault(group, {})[kind] = round(sum(hits) / len(hits), 4)
        if kind == "all":
            result[group]["tags"] = len(hits)
    return {group: dict(sorted(values.items())) for group, values in result.items()}


def fit_sets(data_root: Path) -> tuple[dict, dict]:
    """Each set's segmenter, fitted on its train split (as JSON), and what fitting took."""
    from amnn.data.posts import read_posts
    from amnn.data.text.hashtag_words import HashtagSegmenter

    fitted, facts = {}, {}
    for name in SETS:
        train = read_posts(data_root / name / "train", require_hashtags=True,
                           check_images=False)
        begun = time.perf_counter()
        segmenter = HashtagSegmenter.fit(train.texts, train.hashtags)
        seconds = time.perf_counter() - begun
        fitted[name] = segmenter.to_json()
        counts = segmenter.english_counts
        size = len(json.dumps(fitted[name], ensure_ascii=False).encode("utf-8"))
        facts[name] = {"train_posts": len(train), "fit_seconds": round(seconds, 2),
                       "korean_words": len(segmenter.korean.scores),
                       "english_words": len(counts.get("words", {})),
                       "english_pairs": len(counts.get("pairs", {})),
                       "json_kb": round(size / 1024)}
    return fitted, facts


def training_text(data_root: Path, name: str) -> str:
    """Every caption and hashtag of set `name`'s train split, in one string."""
    from amnn.data.posts import read_posts

    train = read_posts(data_root / name / "train", require_hashtags=True, check_images=False)
    return " ".join([*train.texts, *(" ".join(tags) for tags in train.hashtags)])


def measure(data_root: Path, labels: list[Label]) -> dict:
    """Fit on each set's train split, split every labelled tag both ways, time and score."""
    from amnn.data.text.hashtag_words import HashtagSegmenter

    fitted, facts = fit_sets(data_root)
    begun = time.perf_counter()
    HashtagSegmenter().split("warmup")  # loads wordsegment's counts once (timed apart)
    load_seconds = time.perf_counter() - begun
    results, misses, speed, splits_of = {}, {}, {}, {}
    for method in METHODS:
        # Fresh segmenters: their caches are empty, so the speed is honest (the web
        # counts stay loaded in wordsegment's module).
        segmenters = {name: HashtagSegmenter.from_json(data) for name, data in fitted.items()}
        splitters = {name: segmenter.split if method == "viterbi" else segmenter.split_greedy
                     for name, segmenter in segmenters.items()}
        begun = time.perf_counter()
        splits = splits_of[method] = [splitters[label.source.split("/")[0]](label.tag)
                                      for label in labels]
        speed[method] = round(len(labels) / (time.perf_counter() - begun))
        results[method] = {}
        for part in (*PARTS, "all"):
            chosen = [i for i, label in enumerate(labels) if part in (label.part, "all")]
            results[method][part] = score([labels[i] for i in chosen],
                                          [splits[i] for i in chosen])
        misses[method] = [{"tag": label.tag, "truth": label.words, "split": " ".join(words)}
                          for label, words in zip(labels, splits)
                          if label.part == "dev" and " ".join(words) != label.words]
    return {"accuracy": results, "tags_per_second_uncached": speed, "learnt": facts,
            "wordsegment_load_seconds": round(load_seconds, 2), "dev_misses": misses,
            "korean_tags_with_unseen_words": unseen_word_tags(
                labels, splits_of["viterbi"], training_text(data_root, "korean"))}


def _row(name: str, accuracy: dict, group: str) -> str:
    """One table row: test, dev and all, best path and greedy."""
    cells = [name, str(accuracy["viterbi"]["test"][group]["tags"])]
    for part in ("test", "dev", "all"):
        best, greedy = (accuracy[method][part][group]["all"] for method in METHODS)
        best_cell = f"**{best:.3f}**" if part == "test" else f"{best:.3f}"
        cells += [best_cell, f"{greedy:.3f}"]
    cells.insert(4, str(accuracy["viterbi"]["dev"][group]["tags"]))
    return "| " + " | ".join(cells) + " |"


def markdown(report: dict) -> str:
    """The `segmentation` block of docs/BENCHMARKS.md."""
    accuracy = report["accuracy"]
    lines = [("Exact-match accuracy of splitting hashtags into words, on the hand-labelled "
              "real tags of `tests/data/hashtag_segmentation_labels.tsv` (val splits and a "
              "few mediaeval/train tags; convention and provenance in its header), dealt "
              "into **dev** (design choices are judged here) and **test** (the headline) "
              "by the SHA-256 of each tag, half of each source's multi-word and single-word "
              "tags each. Each set's segmenter learns from that set's train split only "
              "(captions and hashtags). Best path = `HashtagSegmenter.split`; greedy = "
              "longest match over the same vocabularies (`split_greedy`)."), "",
             ("| set | test tags | **test: best path** | test: greedy | dev tags | "
              "dev: best path | dev: greedy | all: best path | all: greedy |"),
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(f"**{group}**" if group == "overall" else group, accuracy, group)
              for group in (*SETS, "overall")]
    test = accuracy["viterbi"]["test"]["overall"]
    speed = report["tags_per_second_uncached"]
    learnt = "; ".join(
        f"{name}/train, {facts['train_posts']:,} posts: {facts['fit_seconds']} s, "
        f"{facts['english_words']:,} English words and {facts['english_pairs']:,} pairs, "
        f"{facts['korean_words']:,} Korean words, {facts['json_kb']} KB of JSON"
        for name, facts in report["learnt"].items())
    lines += ["", (f"Test, best path: {test['multi']:.3f} on multi-word tags, "
                   f"{test['single']:.3f} on the single words that must stay whole. "
                   f"Speed, uncached: {speed['viterbi']:,} tags/s best path, "
                   f"{speed['greedy']:,} tags/s greedy. Learning: {learnt}. Loading "
                   f"wordsegment: {report['wordsegment_load_seconds']} s. "
                   f"{report['machine']}."), "",
              coverage_sentence(report["korean_tags_with_unseen_words"],
                                report["learnt"]["korean"]["train_posts"]),
              "", CHOICES, "",
              f"Command: `{report['command']}` ({report['seconds']} s in all)", ""]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's flags.

    Example:
        >>> build_parser().parse_args([]).labels == LABELS
        True
    """
    # prog: else the usage line would name "__main__.py", the file the package runs
    parser = argparse.ArgumentParser(prog="python -m benchmarks.segmentation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", type=Path, default=shared_data_root(),
        help="folder holding tweeteval/, mediaeval/ and korean/ with their train splits")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--results", type=Path,
                        default=RESULTS / "segmentation.json")
    parser.add_argument("--docs", type=Path, default=DOCS)
    return parser


def main(argv=None) -> int:
    from benchmarks.common.report import replace_block
    from benchmarks.common.run_log import missing_sets

    args = build_parser().parse_args(argv)
    if missing_sets(args.data_root, list(SETS)):
        return 2
    begun = time.perf_counter()
    report = measure(args.data_root, read_labels(args.labels))
    report["seconds"] = round(time.perf_counter() - begun, 1)
    report["command"] = ("python -m benchmarks.segmentation " + " ".join(
        sys.argv[1:] if argv is None else argv)).strip()
    report["machine"] = (f"{platform.machine()}, {os.cpu_count()} CPU cores, "
                         f"Python {platform.python_version()}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    replace_block(args.docs / "BENCHMARKS.md", "segmentation", markdown(report))
    figures = ", ".join(f"{part} {report['accuracy']['viterbi'][part]['overall']['all']:.3f} "
                        f"(greedy {report['accuracy']['greedy'][part]['overall']['all']:.3f})"
                        for part in (*PARTS, "all"))
    print(f"best path: {figures}; wrote {args.results} and the segmentation block of "
          f"{args.docs / 'BENCHMARKS.md'}", file=sys.stderr)
    return 0

