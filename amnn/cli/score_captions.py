"""result_accuracy.py on written captions: BLEU-1..4, ROUGE-L and METEOR, table and files.

`amnn.cli.score` hands over a predictions CSV that has a `predicted_caption` column (and no
`predicted_hashtags`), with the true text from its `tweets` column or from --truth. The
scores are those of `amnn.evaluate.caption_metrics`, every one in [0, 1].

Example:
    python scripts/result_accuracy.py runs/val_captions.csv
    python scripts/result_accuracy.py runs/val_captions.csv --bleu-tokenize 13a
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

import pandas as pd
from matplotlib.figure import Figure

from amnn.atomic_files import atomic_output, check_new_output, save_png
from amnn.data.posts import CAPTION_COLUMN, TEXT_COLUMN
from amnn.errors import AMNNError, DataError
from amnn.evaluate.caption_metrics import CaptionScores, caption_scores
from amnn.jsonio import write_json


def output_paths(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """result_accuracy.py's (CSV, JSON, PNG): --csv, --json, --plot, else beside PRED.csv.

    Example:
        >>> flags = argparse.Namespace(predictions=Path("runs/val.v2.csv"), csv=None,
        ...                            json=Path("m.json"), plot=None)
        >>> [path.name for path in output_paths(flags)]
        ['val.v2_metrics.csv', 'm.json', 'val.v2_metrics.png']
    """
    pred_path = args.predictions
    # with_name, not with_suffix: a stem such as "val.v2" must keep its dot.
    return (args.csv or pred_path.with_name(f"{pred_path.stem}_metrics.csv"),
            args.json or pred_path.with_name(f"{pred_path.stem}_metrics.json"),
            args.plot or pred_path.with_name(f"{pred_path.stem}_metrics.png"))


OUTPUT_FLAGS = ("--csv", "--json", "--plot")  # the flag naming each of output_paths


def check_outputs(args: argparse.Namespace, inputs) -> None:
    """Before any work: refuse an output that is an input, or exists without --overwrite.

    Writing decides again (`atomic_output`): another run may create a file meanwhile.
    """
    sources = {Path(path).resolve() for path in inputs if path is not None}
    for path, flag in zip(output_paths(args), OUTPUT_FLAGS):
        if path.resolve() in sources:
            raise AMNNError(f"{flag} {path} is an input file; the metrics never replace an "
                            f"input, choose another {flag}")
        check_new_output(path, args.overwrite, flag)


def write_outputs(args: argparse.Namespace, frame: pd.DataFrame, report: dict,
                  draw) -> tuple[Path, Path, Path]:
    """Write the metrics CSV, the JSON `report` and the PNG `draw(path)` draws.

    Each file appears complete or not at all; without --overwrite an existing one (even
    one another run has just written) is kept and `OutputExistsError` raised.
    """
    paths = output_paths(args)
    (csv_path, json_path, plot_path), replace = paths, args.overwrite
    with atomic_output(csv_path, replace=replace, flag="--csv") as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8")
    write_json(json_path, report, replace=replace, flag="--json")
    with atomic_output(plot_path, replace=replace, flag="--plot") as tmp:
        draw(tmp)
    return paths


def truth_column(columns: dict, path: Path, hint: str) -> str:
    """The header of the true-text column, `tweets` in any case.

    Example:
        >>> truth_column({"Tweets": [], "predicted_caption": []}, Path("p.csv"), "")
        'Tweets'
    """
    for name in columns:
        if name.lower() == TEXT_COLUMN:
            return name
    raise DataError(str(path), f"no true-caption column: expected {TEXT_COLUMN!r}, found "
                    f"{list(columns)}{hint}", column=TEXT_COLUMN)


def print_captions_table(scores: CaptionScores) -> None:
    """One line per metric with 4 decimals, then the post counts.

    Example:
        >>> print_captions_table(CaptionScores([1.0, 1.0, 0.5, 0.25], 1.0, 0.99, 2, 1, 0, ""))
        metric                                     score
        BLEU-1                                    1.0000
        BLEU-2                                    1.0000
        BLEU-3                                    0.5000
        BLEU-4                                    0.2500
        ROUGE-L F                                 1.0000
        METEOR (exact+stem, no WordNet synonyms)  0.9900
        evaluated 2 posts (0 with an empty prediction); skipped 1 without a true caption
    """
    rows = scores.rows()
    width = max(len(name) for name, _ in rows)
    print(f"{'metric':<{width}}  {'score':>6}")
    for name, value in rows:
        print(f"{name:<{width}}  {value:6.4f}")
    print(f"evaluated {scores.n_posts} posts ({scores.n_empty} with an empty prediction); "
          f"skipped {scores.n_skipped} without a true caption")


def plot_caption_scores(scores: CaptionScores, title: str, path: Path) -> Path:
    """A bar per metric, in one PNG (matplotlib's object API, as `amnn.evaluate.plots`)."""
    figure = Figure(figsize=(8, 4.5))
    ax = figure.subplots()
    names, values = zip(*scores.rows())
    bars = ax.bar(range(len(names)), values, color="tab:blue")
    ax.bar_label(bars, fmt="%.3f")
    ax.set_xticks(range(len(names)), [name.split(" (")[0] for name in names])
    ax.set_ylim(0, 1.05)  # every score is in [0, 1]
    ax.set_ylabel("score")
    ax.set_title(f"{title}: captions of {scores.n_posts} posts")
    return save_png(figure, path)


def score_captions(args: argparse.Namespace, predicted: dict, truth: dict,
                   truth_path: Path, hint: str, column: Optional[str] = None) -> int:
    """Score `predicted`'s captions against `truth`'s text; print and write the reports.

    Args:
        args: result_accuracy.py's flags (predictions, json, csv, plot, overwrite,
            bleu_tokenize, k).
        predicted, truth: column name -> cells, as `amnn.cli.score.read_columns` reads; the
            row counts are already checked equal.
        truth_path: the file `truth` came from, for messages.
        hint: what to add to a missing-column message.
        column: the true-text column when already found (`amnn.cli.score.truth_column`,
            which also reads it by position); None: `tweets`, by name.
    """
    pred_path = args.predictions
    if args.top_k is not None:
        raise AMNNError(f"--top-k scores hashtag lists; {pred_path} holds {CAPTION_COLUMN!r} "
                        "(captions are scored as a whole): leave --top-k out")
    column = column or truth_column(truth, truth_path, hint)
    try:
        scores = caption_scores(predicted[CAPTION_COLUMN], truth[column],
                                args.bleu_tokenize or "words")
    except ValueError as error:  # only "no true caption has a word": lengths are checked
        raise DataError(str(truth_path), f"{error}", column=column) from None
    print_captions_table(scores)

    frame = pd.DataFrame(scores.rows(), columns=["metric", "score"])
    with_counts = frame.assign(n_posts=scores.n_posts, n_skipped=scores.n_skipped)
    report = {"task": "caption", "predictions_csv": str(pred_path),
              "truth_csv": str(truth_path), "truth_column": column, **scores.to_dict()}
    written = write_outputs(args, with_counts, report,
                            lambda path: plot_caption_scores(scores, pred_path.stem, path))
    print(f"wrote {', '.join(map(str, written[:2]))} and {written[2]}")
    return 0

