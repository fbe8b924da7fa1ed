"""Score predicted hashtags against the true ones: precision, recall, accuracy and F1 at k.

The predictions CSV needs a `predicted_hashtags` column (space-separated, best first), as
written by scripts/predict.py. The true hashtags come from its `hashtags` column (or
`captions`, the original AMNN name), or from another CSV given with --truth that lists the
same posts in the same order. Posts without a true hashtag are skipped and counted.

Examples:
    python scripts/result_accuracy.py runs/val_predictions.csv
    python scripts/result_accuracy.py runs/val_predictions.csv --k 10
    python scripts/result_accuracy.py preds.csv \
        --truth ../shared/data/mediaeval/val/image_text_tag.csv
    python scripts/result_accuracy.py preds.csv --json out/m.json --csv out/m.csv --plot out/m.png

By default the metrics go next to the predictions: <name>_metrics.csv, <name>_metrics.json
and <name>_metrics.png. Exit status 2 means a problem with the input, explained on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import _bootstrap  # noqa: F401  (puts the repository root on sys.path)
from _bootstrap import cli_main

import pandas as pd

from amnn.cli_args import positive_int
from amnn.errors import DataError
from amnn.hashtags import parse_hashtags
from amnn.jsonio import write_json
from amnn.metrics import MetricsTable, metrics_at_k
from amnn.atomic_files import atomic_output
from amnn.plots import plot_metrics_at_k

PREDICTION_COLUMN = "predicted_hashtags"
TRUTH_COLUMNS = ("hashtags", "captions")  # first one present wins


def build_parser() -> argparse.ArgumentParser:
    """The command-line flags (see the module docstring for examples).

    Example:
        >>> build_parser().parse_args(["p.csv"]).k
        5
    """
    parser = argparse.ArgumentParser(
        description="Precision, recall, accuracy and F1 at k of predicted hashtags.",
        epilog="Example: python scripts/result_accuracy.py runs/val_predictions.csv --k 10")
    parser.add_argument("predictions", type=Path, metavar="PRED.csv",
                        help=f"CSV with a {PREDICTION_COLUMN!r} column "
                             "(space-separated, best first)")
    parser.add_argument("--truth", type=Path, metavar="CSV",
                        help="take the true hashtags from this CSV (same posts, same order)")
    parser.add_argument("--k", type=positive_int, default=5,
                        help="report k = 1..K (default 5)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="default <PRED>_metrics.json")
    parser.add_argument("--csv", type=Path, metavar="OUT", help="default <PRED>_metrics.csv")
    parser.add_argument("--plot", type=Path, metavar="OUT", help="default <PRED>_metrics.png")
    return parser


def read_posts_csv(path: Path) -> pd.DataFrame:
    """Read a CSV with every cell as text and empty cells as '' (never NaN).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "posts.csv"
        >>> _ = path.write_text("hashtags\\n\\nsea\\n")
        >>> read_posts_csv(path)["hashtags"].tolist()
        ['', 'sea']
    """
    if not path.is_file():
        raise DataError(str(path), "no such file; check the path")
    try:
        # na_filter=False keeps tags such as "nan" or "null" as text, and is faster;
        # skip_blank_lines=False keeps an empty cell of a one-column file as a row, so
        # rows stay aligned with the other file.
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, na_filter=False,
                           skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise DataError(str(path), "the file is empty; expected a CSV with a header") from None
    except UnicodeDecodeError as error:
        raise DataError(str(path), f"not UTF-8 text ({error.reason} at byte {error.start}); "
                        "save it as UTF-8") from None
    except pd.errors.ParserError as error:
        raise DataError(str(path), f"not a readable CSV: {' '.join(str(error).split())}") from None


def _truth_column(frame: pd.DataFrame, path: Path, hint: str) -> str:
    for column in TRUTH_COLUMNS:
        if column in frame.columns:
            return column
    raise DataError(str(path), f"no true-hashtag column: expected one of {list(TRUTH_COLUMNS)}, "
                    f"found {list(frame.columns)}{hint}")


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
def main(argv: Optional[Sequence[str]] = None) -> int:
    """Score PRED.csv, print the table and write the CSV, JSON and PNG; return the exit status.

    Example:
        >>> csv_text = "hashtags,predicted_hashtags\\nsea,sea sun\\n"
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "pred.csv"
        >>> _ = path.write_text(csv_text)
        >>> main([str(path), "--k", "1"])  # doctest: +ELLIPSIS
         k     P@k     R@k     A@k    F1@k
         1  1.0000  1.0000  1.0000  1.0000
        ...
        0
    """
    args = build_parser().parse_args(argv)
    pred_path = args.predictions
    predictions_frame = read_posts_csv(pred_path)
    if PREDICTION_COLUMN not in predictions_frame.columns:
        raise DataError(str(pred_path), f"no column {PREDICTION_COLUMN!r} (found "
                        f"{list(predictions_frame.columns)}); is this a scripts/predict.py "
                        "output?", column=PREDICTION_COLUMN)
    truth_path = args.truth or pred_path
    truth_frame = read_posts_csv(args.truth) if args.truth else predictions_frame
    if len(truth_frame) != len(predictions_frame):
        raise DataError(str(truth_path), f"has {len(truth_frame)} rows but {pred_path} has "
                        f"{len(predictions_frame)}; --truth must list the same posts in the "
                        "same order")
    hint = "" if args.truth else "; pass --truth CSV to read them from another file"
    truth_column = _truth_column(truth_frame, truth_path, hint)

    predictions = [cell.split() for cell in predictions_frame[PREDICTION_COLUMN]]
    truths = [parse_hashtags(cell) for cell in truth_frame[truth_column]]
    if not any(truths):
        raise DataError(str(truth_path), f"no row has a hashtag in column {truth_column!r}; "
                        "nothing to score", column=truth_column)
    table = metrics_at_k(predictions, truths, args.k)
    print_table(table)

    # with_name, not with_suffix: a stem such as "val.v2" must keep its dot.
    csv_path = args.csv or pred_path.with_name(f"{pred_path.stem}_metrics.csv")
    json_path = args.json or pred_path.with_name(f"{pred_path.stem}_metrics.json")
    plot_path = args.plot or pred_path.with_name(f"{pred_path.stem}_metrics.png")
    with atomic_output(csv_path) as tmp:
        table.to_frame().to_csv(tmp, index=False, encoding="utf-8")
    report = {"predictions_csv": str(pred_path), "truth_csv": str(truth_path),
              "truth_column": truth_column, **table.to_dict()}
    write_json(json_path, report)
    plot_metrics_at_k({pred_path.stem: table}, plot_path)
    print(f"wrote {csv_path}, {json_path} and {plot_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
