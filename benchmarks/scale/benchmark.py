"""Training and prediction at 1k, 10k and 50k photos: throughput and peak memory.

    python -m benchmarks.scale          # about 9 minutes on 2 CPU cores, 7 GB of disk

No data needed: for each size it writes synthetic posts (long-tailed photos, hashtags and
words: `benchmarks/scale/data.py`) and random photo features straight into the feature
cache train.py and predict.py read (50k photos: 6 GB, written in blocks), so no photo is
ever encoded. Then, each in a fresh process so its peak RSS is its own (`os.wait4`):

1. training, as train.py prepares it (posts read, photos checked, split by photo,
   `prepare` with --photo-features auto), then one fit of the default network: an
   epoch of `--steps` steps to warm up, then the best of 3 timed epochs of `--steps`
   (`benchmarks/scale/runs.py`); at the smallest size
   also with the photo table held in memory and streamed, side by side;
2. `scripts/predict.py` over `--predict-posts` of that size's posts, with one model
   (`train.py --epochs 1` on the smallest set) and that size's cache.

Each size's files are deleted as soon as it is measured, and everything it wrote is
deleted at the end, also after an error, Ctrl-C or SIGTERM. Writes the `scale` block of
docs/BENCHMARKS.md and benchmarks/results/scale.json (`photos`, `train_samples_per_s`,
`train_peak_rss_mib`, `predict_posts_per_s`, `predict_peak_rss_mib` per size).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path

from amnn.jsonio import write_json
from benchmarks.common.paths import DOCS, REPO, RESULTS
from benchmarks.common.report import replace_block
from benchmarks.scale.data import remove_tree, write_synthetic
from benchmarks.scale.report import goal_status, scale_markdown
from benchmarks.scale.runs import (
    encoder_identity, run_predict, run_training, train_predict_model)

COMMAND = "python -m benchmarks.scale"


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """'photos:posts,...' as [(photos, posts), ...], smallest first.

    Example:
        >>> parse_sizes("10000:200000,1000:20000")
        [(1000, 20000), (10000, 200000)]
    """
    sizes = []
    for part in text.split(","):
        photos, _, posts = part.partition(":")
        if not photos.isdigit() or not posts.isdigit() or int(posts) < int(photos):
            raise argparse.ArgumentTypeError(f"sizes are PHOTOS:POSTS with POSTS >= PHOTOS, "
                                             f"got {part!r}")
        sizes.append((int(photos), int(posts)))
    return sorted(sizes)


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's flags.

    Example:
        >>> build_parser().parse_args([]).sizes[-1]
        (50000, 1000000)
    """
    # prog: else the usage line would name "__main__.py", the file the package runs
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=parse_sizes,
                        default=parse_sizes("1000:20000,10000:200000,50000:1000000"),
                        help="PHOTOS:POSTS,... (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=100, help="timed training steps")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--predict-posts", type=int, default=20_000)
    parser.add_argument("--work", type=Path, default=REPO / "runs",
                        help="where the synthetic files go (a folder of their own, removed)")
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--results", type=Path,
                        default=RESULTS / "scale.json")
    return parser


def head_csv(source: Path, target: Path, rows: int) -> int:
    """The header and first `rows` posts of `source` (one post a line) into `target`."""
    with source.open(encoding="utf-8") as reading, target.open("w", encoding="utf-8") as out:
        out.write(reading.readline())
        count = 0
        for count, line in enumerate(reading, 1):
            out.write(line)
            if count == rows:
                break
    return count


def _log(started: float, text: str) -> None:
    print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)


def measure(args, work: Path, started: float) -> list[dict]:
    """Every size's figures (see the module docstring); `work` holds the files."""
    # The fingerprint names the cache file; the converted weights stay in `work` too.
    encoder = encoder_identity(work / "weights")
    model = work / "predict_model"
    rows = []
    for photos, posts in args.sizes:
        folder, cache = work / f"photos_{photos}", work / f"cache_{photos}"
        made = write_synthetic(folder / "data", cache, encoder, photos, posts)
        gib = made.cache_file.stat().st_size / 2 ** 30
        _log(started, f"{photos} photos, {posts} posts: wrote {gib:.2f} GiB of features")
        row = {"photos": photos, "posts": posts, "feature_cache_gib": round(gib, 2),
               "distinct_tags_written": made.distinct_tags,
               "posts_of_most_shared_photo": made.posts_of_top_photo}
        train = run_training(folder / "data", cache, args.steps, args.batch_size)
        row.update(train)
        _log(started, f"  training ({train['photo_table']}): {train['train_samples_per_s']} "
                      f"samples/s, peak RSS {train['train_peak_rss_mib']:.0f} MiB")
        if photos == args.sizes[0][0]:
            # The same set both ways: what streaming costs where memory would do.
            other = "stream" if train["photo_table"] == "ndarray" else "memory"
            side = run_training(folder / "data", cache, args.steps, args.batch_size, other)
            row["train_other_mode"] = {key: side[key] for key in (
                "photo_features", "photo_table", "train_samples_per_s", "train_peak_rss_mib")}
            _log(started, f"  training ({other}): {side['train_samples_per_s']} samples/s, "
                          f"peak RSS {side['train_peak_rss_mib']:.0f} MiB")
            seconds = train_predict_model(folder / "data", cache, model)
            _log(started, f"  trained the predict.py model (train.py --epochs 1) in {seconds} s")
        subset = folder / "data" / "predict_posts.csv"  # beside images/, as paths are relative
        count = head_csv(folder / "data" / "image_text_tag.csv", subset, args.predict_posts)
        predicted = run_predict(model, subset, cache, folder / "predictions.csv", count)
        row.update(predicted)
        _log(started, f"  predict.py: {predicted['predict_posts_per_s']} posts/s, peak RSS "
                      f"{predicted['predict_peak_rss_mib']:.0f} MiB")
        remove_tree(folder)
        remove_tree(cache)  # 6 GB at 50k photos: gone before the next size is written
        rows.append(row)
    return rows


def _stop(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C (the `finally` below)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    signal.signal(signal.SIGTERM, _stop)
    args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="amnn-scale-", dir=args.work))
    started = time.perf_counter()
    _log(started, f"synthetic files in {work} (removed at the end)")
    try:
        sizes = measure(args, work, started)
    finally:
        remove_tree(work)
        _log(started, f"removed {work}")
    machine = (f"{platform.machine()}, {os.cpu_count()} CPU cores, "
               f"Python {platform.python_version()}")
    report = {"machine": machine, "minutes": round((time.perf_counter() - started) / 60, 1),
              "command": COMMAND, "steps": args.steps, "warmup_steps": args.steps,
              "batch_size": args.batch_size, "rounds": sizes[0]["rounds"], "sizes": sizes}
    report["goals"] = goal_status(sizes)
    write_json(args.results, report)
    replace_block(args.docs / "BENCHMARKS.md", "scale", scale_markdown(report))
    print(f"wrote {args.docs / 'BENCHMARKS.md'} and {args.results}", file=sys.stderr)
    return 0

