"""Recommend hashtags, or write captions, with a simple baseline, to compare AMNN against.

Examples:
    python scripts/baselines.py --train dataset --data test_dataset --out runs/popular.csv \
        --method popular
    python scripts/baselines.py --train ../shared/data/mediaeval/train \
        --data ../shared/data/mediaeval/val --out runs/text_knn.csv --method text-knn --neighbors 30
    python scripts/baselines.py --train dataset --data test_dataset --out runs/mm.csv \
        --method multimodal-knn --alpha 0.7 --cache-dir /tmp/amnn-cache
    python scripts/result_accuracy.py runs/text_knn.csv
    python scripts/baselines.py --task caption --method retrieval-tags \
        --train ../shared/data/mediaeval/train --data ../shared/data/mediaeval/val \
        --out runs/caption_tags.csv

Methods of --task hashtags, the default (see amnn/evaluate/baselines.py): popular, text-knn,
image-knn, multimodal-knn. Of --task caption (amnn/evaluate/caption_baselines.py): frequent,
retrieval-photo, retrieval-tags, retrieval-tags-meaning (by multilingual sentence vectors of the
tags), retrieval-both (--alpha: the weight of the tags). The output
is the CSV scripts/predict.py writes: the --data rows, in order and unchanged, plus
`predicted_hashtags` (space-separated, best first) or `predicted_caption`, so
scripts/result_accuracy.py scores both alike. It appears only when complete, and never
replaces an input CSV or an existing file unless --overwrite is given. Only the photo
methods (image-knn, multimodal-knn, retrieval-photo, retrieval-both) load TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Optional, Sequence

from amnn.cli.args import add_columns_flag, positive_int
from amnn.cli.flag_names import add_old_name, add_version_flag
from amnn.cli.runner import cli_main
from amnn.cli.tensorflow_loading import add_verbose_flag, load_tensorflow
from amnn.cli.user_defaults import read_user_defaults
from amnn.config import TASKS, AMNNConfig
from amnn.data.posts import CAPTION_COLUMN, PREDICTION_COLUMN, read_posts, resolve_csv_path
from amnn.features.encoders import encoder_names
from amnn.serve.prediction_csv import check_output, write_predictions

METHODS = ("popular", "text-knn", "image-knn", "multimodal-knn")  # amnn.evaluate.baselines.BASELINES
CAPTION_METHODS = ("frequent", "retrieval-photo", "retrieval-tags", "retrieval-tags-meaning",
                   "retrieval-both")
IMAGE_METHODS = ("image-knn", "multimodal-knn", "retrieval-photo", "retrieval-both")
CHUNK_SIZE = 20000  # posts recommended and written at a time, as in predict.py
PHOTO_SETTINGS = ("encoder", "encoder_weights", "cache_dir")  # all it takes from config.py


def unit_interval(text: str) -> float:
    """An argparse type: a number in [0, 1].

    Example:
        >>> unit_interval("0.25")
        0.25
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], received {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], received {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags of baselines.py.

    Example:
        >>> build_parser().parse_args(["--train", "t", "--data", "d", "--out", "p.csv",
        ...                            "--method", "popular"]).top_k
        5
    """
    parser = argparse.ArgumentParser(
        description="Recommend hashtags, or write captions, with a simple baseline.")
    parser.add_argument("--task", choices=TASKS, default="hashtags",
                        help="hashtags (default) or caption: write each post's text")
    parser.add_argument("--train", required=True, help="training folder or CSV (with hashtags, "
                                                  "or captions for --task caption)")
    parser.add_argument("--data", required=True, help="posts to recommend for: folder or CSV")
    parser.add_argument("--out", required=True, help="predictions CSV to write")
    parser.add_argument("--method", required=True, choices=METHODS + CAPTION_METHODS,
                        help=f"which baseline: {', '.join(METHODS)} (--task hashtags); "
                             f"{', '.join(CAPTION_METHODS)} (--task caption)")
    add_old_name(parser, parser.add_argument("--top-k", type=positive_int, default=5,
                                             help="hashtags per post (--task hashtags)"),
                 "--k")
    parser.add_argument("--neighbors", type=positive_int,
                        help="k-NN methods: neighbors that vote (default 20)")
    parser.add_argument("--alpha", type=unit_interval,
                        help="multimodal-knn: weight of the text part; retrieval-both: weight "
                             "of the tag similarity, the photo's is 1 - alpha (default 0.5)")
    parser.add_argument("--encoder", choices=encoder_names(),
                        help=f"image methods: image encoder (default {AMNNConfig.encoder})")
    parser.add_argument("--encoder-weights", help="image methods: local encoder weights file")
    parser.add_argument("--cache-dir", help="image methods: feature cache folder "
                                            "(default ~/.cache/amnn or $AMNN_CACHE_DIR)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    add_columns_flag(parser, "--train and --data")
    add_verbose_flag(parser)
    add_version_flag(parser, "amnn-baselines")
    return parser


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse and check that every flag given applies to --method."""
    parser = build_parser()
    args = parser.parse_args(argv)
    methods = CAPTION_METHODS if args.task == "caption" else METHODS
    if args.method not in methods:
        parser.error(f"--method {args.method} is not a --task {args.task} method; choose one "
                     f"of {', '.join(methods)}")
    applies = {"neighbors": args.method in METHODS[1:],
               "alpha": args.method in ("multimodal-knn", "retrieval-both"),
               "encoder": args.method in IMAGE_METHODS,
               "encoder_weights": args.method in IMAGE_METHODS,
               "cache_dir": args.method in IMAGE_METHODS}
    for name, ok in applies.items():
        if getattr(args, name) is not None and not ok:
            parser.error(f"--{name.replace('_', '-')} does not apply to --method {args.method}")
    return args


def baseline_options(args: argparse.Namespace, user_defaults: dict | None = None) -> dict:
    """The `make_baseline` options the flags give; a photo setting not given as a flag
    comes from the user's config.py (`user_defaults`), else the baseline's default."""
    options = {"n_neighbors": args.neighbors, "alpha": args.alpha, "encoder": args.encoder,
               "encoder_weights": args.encoder_weights, "cache_dir": args.cache_dir}
    if args.method in IMAGE_METHODS:
        for name in ("encoder", "encoder_weights", "cache_dir"):
            if options[name] is None:
                options[name] = (user_defaults or {}).get(name)
    options = {name: value for name, value in options.items() if value is not None}
    if args.method in IMAGE_METHODS:
        options["progress"] = not args.quiet
    return options


@cli_main
def main(argv: Optional[Sequence[str]] = None, defaults_file=None) -> int:
    """Fit the baseline and write its predictions; `defaults_file` is the user's config.py."""
    args = parse_args(argv)
    user_defaults = read_user_defaults(defaults_file, uses=PHOTO_SETTINGS)
    train_csv, source = resolve_csv_path(args.train), resolve_csv_path(args.data)
    out = Path(args.out)
    check_output([train_csv, source], out, args.overwrite)

    quiet_decoder = contextlib.nullcontext()
    if args.method in IMAGE_METHODS:
        load_tensorflow(args.verbose)  # the photo encoder needs it
        from amnn.features.photo_reading import decoder_messages_hidden

        # libjpeg warns about damaged photos straight on stderr; AMNN reports them itself.
        quiet_decoder = decoder_messages_hidden(enabled=not args.verbose)
    with quiet_decoder:
        written, column = _fit_and_write(args, user_defaults, train_csv, source, out)
    if not args.quiet:
        print(f"wrote {written} posts with {column} ({args.method}) to {out}", file=sys.stderr)
    return 0


def _fit_and_write(args, user_defaults: dict, train_csv: Path, source: Path,
                   out: Path) -> tuple[int, str]:
    """Fit the baseline on `train_csv`, write its predictions for `source` to `out`; return
    the rows written and the column."""
    # scikit-learn loads here, after the checks
    from amnn.evaluate.baselines import make_baseline
    from amnn.evaluate.caption_baselines import make_caption_baseline

    options = baseline_options(args, user_defaults)
    if args.task == "caption":
        baseline = make_caption_baseline(args.method, **options)
        # Captions are retrieved, so only retrieval by tags needs the training tags.
        baseline.fit(read_posts(train_csv, require_hashtags=baseline.reads_tags,
                                columns=args.columns))
        column = CAPTION_COLUMN
        written = write_predictions(source, out, baseline.predict, CHUNK_SIZE,
                                    column=column, require_text=False, columns=args.columns,
                                    overwrite=args.overwrite)
    else:
        baseline = make_baseline(args.method, **options)
        baseline.fit(read_posts(train_csv, require_hashtags=True, columns=args.columns))
        column = PREDICTION_COLUMN
        written = write_predictions(source, out,
                                    lambda chunk: baseline.recommend(chunk, args.top_k),
                                    CHUNK_SIZE, columns=args.columns, overwrite=args.overwrite)
    return written, column


if __name__ == "__main__":
    sys.exit(main())
