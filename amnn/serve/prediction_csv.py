"""Writing prediction CSVs: input rows unchanged, plus `predicted_hashtags`, never half-done.

Shared by scripts/predict.py and scripts/baselines.py so both write the same file that
scripts/result_accuracy.py scores. Rows are read, recommended and written chunk by chunk
(bounded memory), into a temporary file that replaces the target only when complete.

Example:
    >>> check_output([Path("posts.csv")], Path("posts.csv"), overwrite=True)
    Traceback (most recent call last):
    ...
    amnn.errors.AMNNError: --out posts.csv is an input CSV; predictions never replace an input, choose another --out
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from amnn.atomic_files import atomic_output
from amnn.data.posts import PREDICTION_COLUMN, Posts, iter_post_chunks
from amnn.errors import AMNNError


def check_output(inputs: Sequence[Path], out: Path, overwrite: bool) -> None:
    """Refuse to write over an input CSV, or over an existing file without --overwrite."""
    if any(out.resolve() == source.resolve() for source in inputs):
        raise AMNNError(f"--out {out} is an input CSV; predictions never replace an input, "
                        "choose another --out")
    if out.exists() and not overwrite:
        raise AMNNError(f"{out} exists; pass --overwrite to replace it or choose another --out")


def write_predictions(source: Path, out: Path, recommend: Callable[[Posts], list],
                      chunk_size: int, on_chunk: Callable[[int], None] | None = None,
                      column: str = PREDICTION_COLUMN, require_text: bool = True,
                      columns=None) -> int:
    """Write `source`'s rows plus `recommend(chunk)` tag lists to `out`; return the row count.

    Args:
        source: the input CSV.
        out: the predictions CSV; it appears only once every row is written.
        recommend: posts chunk -> list of tag lists (best first), one per post.
        chunk_size: rows per chunk.
        on_chunk: called with the running row count after each chunk (progress).
        column: the column written: `predicted_hashtags` (tag lists, joined with spaces), or
            `predicted_caption` for a caption model, whose `recommend` gives strings.
        require_text: False accepts a CSV without a `tweets` column (caption models).
        columns: --columns (`amnn.data.column_layout.ColumnsFlag`); None detects the layout.
            The output is always a comma CSV with the input's header names, also for the
            published code's '*'-separated file.
    """
    written = 0
    # A crash or Ctrl-C leaves no half CSV that looks like a result.
    with atomic_output(out, suffix=".partial") as partial:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            for chunk in iter_post_chunks(source, chunk_size, require_hashtags=False,
                                          require_text=require_text, columns=columns):
                frame = chunk.frame.copy()
                if column in frame.columns:  # a re-run on a predictions file
                    frame = frame.drop(columns=[column])
                frame[column] = [made if isinstance(made, str) else " ".join(made)
                                 for made in recommend(chunk)]
                frame.to_csv(stream, header=written == 0, index=False)
                written += len(frame)
                if on_chunk is not None:
                    on_chunk(written)
    return written
