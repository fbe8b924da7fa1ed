"""Score predicted hashtags against the true ones: precision, recall, accuracy and F1 at k.

The predictions CSV needs a `predicted_hashtags` column (space-separated, best first), as
written by scripts/predict.py. The true hashtags come from its `hashtags` column (or
`captions`, the original AMNN name), or from another CSV given with --truth that lists the
same posts in the same order. Posts without a true hashtag are skipped and counted.
A file whose columns are not named as ours is read as the published code reads its files,
by position (photo, text, hashtags), with one line on stderr that says so: predictions of
its fork's `Name,Contents,captions` CSV, or --truth as its '*'-separated
image_text_data.txt (a file or its folder); --columns says which column is which.

A CSV with a `predicted_caption` column instead (a caption model's, or a caption baseline's)
is scored against the true text, its `tweets` column: BLEU-1..4, ROUGE-L and METEOR, by
`amnn.cli.score_captions` (--bleu-tokenize chooses BLEU's words; --top-k does not apply).

Examples:
    python scripts/result_accuracy.py runs/val_predictions.csv
    python scripts/result_accuracy.py runs/val_predictions.csv --top-k 10
    python scripts/result_accuracy.py preds.csv \
        --truth ../shared/data/mediaeval/val/image_text_tag.csv
    python scripts/result_accuracy.py preds.csv --truth PUBLISHED_FOLDER/image_text_data.txt
    python scripts/result_accuracy.py preds.csv --json out/m.json --csv out/m.csv --plot out/m.png
    python scripts/result_accuracy.py runs/val_captions.csv

By default the metrics go next to the predictions: <name>_metrics.csv, <name>_metrics.json
and <name>_metrics.png. None of them replaces an existing file unless --overwrite is given
(checked before scoring, and again as each is written: a run that finds a file written by
another run meanwhile stops and keeps it). Exit status 2 means a problem with the input,
explained on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from amnn.cli.args import add_columns_flag, positive_int
from amnn.cli.flag_names import add_old_name, add_version_flag
from amnn.cli.runner import cli_main
from amnn.cli.score_captions import check_outputs, score_captions, write_outputs
from amnn.cli.user_defaults import read_user_defaults
from amnn.config import AMNNConfig
from amnn.data.csv_records import read_header, read_records
from amnn.data.hashtags import parse_hashtags
from amnn.data.posts import (
    CAPTION_COLUMN,
    PREDICTION_COLUMN,
    TAG_COLUMNS,
    TEXT_COLUMN,
    announce_layout,
    choose_separator,
    find_layout,
    resolve_csv_path,
)
from amnn.errors import AMNNError, DataError
from amnn.evaluate.caption_metrics import BLEU_TOKENIZERS
from amnn.evaluate.metrics import MetricsTable, metrics_at_k
from amnn.evaluate.plots import plot_metrics_at_k


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags (see the module docstring for examples).

    Example:
        >>> build_parser().parse_args(["p.csv", "--top-k", "3"]).top_k
        3
    """
    parser = argparse.ArgumentParser(
        description="Precision, recall, accuracy and F1 at k of predicted hashtags; "
                    "BLEU, ROUGE-L and METEOR of predicted captions.",
        epilog="Example: python scripts/result_accuracy.py runs/val_predictions.csv --top-k 10")
    parser.add_argument("predictions", type=Path, metavar="PRED.csv",
                        help=f"CSV with a {PREDICTION_COLUMN!r} column (space-separated, "
                             f"best first) or a {CAPTION_COLUMN!r} column")
    parser.add_argument("--truth", type=Path, metavar="CSV",
                        help="take the true hashtags (or text) from this CSV, or a data "
                             "folder's (same posts, same order)")
    # --top-k as in predict.py and baselines.py: how many of a post's hashtags count
    add_old_name(parser, parser.add_argument(
        "--top-k", type=positive_int, metavar="K",
        help="hashtags: report P@k, R@k, A@k and F1@k for k = 1..K (default: top_k of "
             "your config.py, else 5)"), "--k")
    parser.add_argument("--bleu-tokenize", choices=BLEU_TOKENIZERS,
                        help="captions: BLEU's tokens; words (default: the caption model's "
                             "words, as ROUGE-L and METEOR see them) or sacrebleu's 13a, intl, "
                             "char on the raw text")
    parser.add_argument("--json", type=Path, metavar="OUT", help="default <PRED>_metrics.json")
    parser.add_argument("--csv", type=Path, metavar="OUT", help="default <PRED>_metrics.csv")
    parser.add_argument("--plot", type=Path, metavar="OUT", help="default <PRED>_metrics.png")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing metrics files (--csv, --json, --plot)")
    add_columns_flag(parser, "--truth (or of PRED.csv, its last column left out)")
    add_version_flag(parser, "amnn-score")
    return parser


def read_columns(path: Path, separator: str = ",") -> dict[str, list[str]]:
    """Every column of a CSV as a list of text cells, read as train.py and predict.py read
    (UTF-8 with or without BOM, or CP949); an empty line is a row of empty cells.
    `separator` '*' reads the published code's image_text_data.txt.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "posts.csv"
        >>> _ = path.write_text("hashtags\\n\\nsea\\n")
        >>> read_columns(path)["hashtags"]
        ['', 'sea']
    """
    if not path.is_file():
        raise DataError(str(path), "no such file; check the path")
    records = read_records(path, keep_blank=True, delimiter=separator)
    header = read_header(path, records, PREDICTION_COLUMN)
    rows = [fields for _, fields in records]
    return {name: [row[i] if i < len(row) else "" for row in rows]
            for i, name in enumerate(header)}


def truth_column(columns: dict, path: Path, hint: str, role: str = "hashtags",
                 separator: str = ",", flag=None) -> str:
    """The name of the column holding the truth (`role` 'hashtags' or 'tweets'), found as
    train.py finds it: by name, else by position (`amnn.data.column_layout`).

    Example:
        >>> truth_column({"Name": [], "Contents": [], "captions": [],
        ...               "predicted_hashtags": []}, Path("p.csv"), "")
        'captions'
    """
    ours = [name for name in columns if name not in (PREDICTION_COLUMN, CAPTION_COLUMN)]
    layout = find_layout(path, ours, separator, flag, require_hashtags=False,
                         require_text=False)
    if layout.roles[role] is not None:
        announce_layout(path, layout)
        return ours[layout.roles[role]]
    kind, names = ("caption", [TEXT_COLUMN]) if role == TEXT_COLUMN else \
        ("hashtag", list(TAG_COLUMNS))
    read = f" (read by position: {layout.describe()})" if layout.by_position else ""
    raise DataError(str(path), f"no true-{kind} column: expected one of {names}, found "
                    f"{list(columns)}{read}{hint}", column=names[0] if kind == "caption" else None)


def print_table(table: MetricsTable) -> None:
    """Print one line per k with 4 decimals, then how many posts were scored.

    Example:
        >>> print_table(metrics_at_k([["a"]], [["a"]], max_k=1))
         k     P@k     R@k     A@k    F1@k
         1  1.0000  1.0000  1.0000  1.0000
        evaluated 1 posts; skipped 0 without a true hashtag
    """
    print(f"{'k':>2}  {'P@k':>6}  {'R@k':>6}  {'A@k':>6}  {'F1@k':>6}")
    for k, p, r, a, f in zip(table.k, table.precision, table.recall, table.accuracy, table.f1):
        print(f"{k:>2}  {p:6.4f}  {r:6.4f}  {a:6.4f}  {f:6.4f}")
    print(f"evaluated {table.n_posts} posts; skipped {table.n_skipped} without a true hashtag")


@cli_main
def main(argv: Optional[Sequence[str]] = None, defaults_file: Optional[Path] = None) -> int:
    """Score PRED.csv, print the table and write the CSV, JSON and PNG; return the exit status.

    Without --top-k, K is the user's `top_k` from `defaults_file` (their config.py), else 5.

    Example:
        >>> csv_text = "hashtags,predicted_hashtags\\nsea,sea sun\\n"
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "pred.csv"
        >>> _ = path.write_text(csv_text)
        >>> main([str(path), "--top-k", "1"])  # doctest: +ELLIPSIS
         k     P@k     R@k     A@k    F1@k
         1  1.0000  1.0000  1.0000  1.0000
        ...
        0
    """
    args = build_parser().parse_args(argv)
    pred_path = args.predictions
    predicted = read_columns(pred_path)
    check_outputs(args, [pred_path, args.truth])  # before scoring, not after it
    # A hashtag column wins: a hashtag model's output re-run through a caption model is
    # still scored as before.
    captions = PREDICTION_COLUMN not in predicted and CAPTION_COLUMN in predicted
    if not captions and PREDICTION_COLUMN not in predicted:
        raise DataError(str(pred_path), f"no column {PREDICTION_COLUMN!r} or {CAPTION_COLUMN!r} "
                        f"(found {list(predicted)}); is this a scripts/predict.py output?",
                        column=PREDICTION_COLUMN)
    column = CAPTION_COLUMN if captions else PREDICTION_COLUMN
    truth_path = resolve_csv_path(args.truth) if args.truth else pred_path
    separator = choose_separator(truth_path, args.columns) if args.truth else ","
    truth = read_columns(truth_path, separator) if args.truth else predicted
    rows, truth_rows = len(predicted[column]), len(next(iter(truth.values()), []))
    if truth_rows != rows:
        raise DataError(str(truth_path), f"has {truth_rows} rows but {pred_path} has "
                        f"{rows}; --truth must list the same posts in the same order")
    hint = "" if args.truth else "; pass --truth CSV to read them from another file"
    if captions:
        column = truth_column(truth, truth_path, hint, TEXT_COLUMN, separator, args.columns)
        return score_captions(args, predicted, truth, truth_path, hint, column)
    if args.bleu_tokenize is not None:
        raise AMNNError(f"--bleu-tokenize scores captions; {pred_path} holds hashtags "
                        f"({PREDICTION_COLUMN!r}): leave --bleu-tokenize out")
    if args.top_k is None:
        args.top_k = read_user_defaults(defaults_file, uses=["top_k"]).get("top_k",
                                                                          AMNNConfig.top_k)
    column = truth_column(truth, truth_path, hint, "hashtags", separator, args.columns)

    # Both sides are normalised alike, so a prediction '#Sandy' from another tool is 'sandy'.
    predictions = [parse_hashtags(cell) for cell in predicted[PREDICTION_COLUMN]]
    truths = [parse_hashtags(cell) for cell in truth[column]]
    if not any(truths):
        raise DataError(str(truth_path), f"no row has a hashtag in column {column!r}; "
                        "nothing to score", column=column)
    table = metrics_at_k(predictions, truths, args.top_k)
    print_table(table)

    report = {"predictions_csv": str(pred_path), "truth_csv": str(truth_path),
              "truth_column": column, **table.to_dict()}
    written = write_outputs(args, table.to_frame(), report,
                            lambda path: plot_metrics_at_k({pred_path.stem: table}, path))
    print(f"wrote {', '.join(map(str, written[:2]))} and {written[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
