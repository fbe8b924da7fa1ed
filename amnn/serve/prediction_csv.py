"""Writing prediction CSVs: input rows unchanged, plus `predicted_hashtags`, never half-done.

Shared by scripts/predict.py and scripts/baselines.py so both write the same file that
scripts/result_accuracy.py scores. Rows are read, recommended and written chunk by chunk
(bounded memory), into a temporary file that becomes the target only when complete; an
existing target is replaced only with --overwrite, also when another run wrote it meanwhile
(`amnn.atomic_files`).

Example:
    >>> check_output([Path("posts.csv")], Path("posts.csv"), overwrite=True)
    Traceback (most recent call last):
    ...
    amnn.errors.AMNNError: --out posts.csv is an input CSV; predictions never replace an input, choose another --out
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from amnn.atomic_files import atomic_output, check_new_output
from amnn.data.posts import PREDICTION_COLUMN, Posts, iter_post_chunks
from amnn.errors import AMNNError, DataError


def check_output(inputs: Sequence[Path], out: Path, overwrite: bool) -> None:
    """Refuse to write over an input CSV, or over an existing file without --overwrite.

    Checked before any work, so a user does not wait for a whole prediction to learn it;
    `write_predictions` still decides at the end (another run may write `out` meanwhile).
    """
    if any(out.resolve() == source.resolve() for source in inputs):
        raise AMNNError(f"--out {out} is an input CSV; predictions never replace an input, "
                        "choose another --out")
    check_new_output(out, overwrite, "--out")


def write_predictions(source: Path, out: Path, recommend: Callable[[Posts], list],
                      chunk_size: int, on_chunk: Callable[[int], None] | None = None,
                      column: str = PREDICTION_COLUMN, require_text: bool = True,
                      columns=None, overwrite: bool = False,
                      finish: Callable[[int], None] | None = None) -> int:
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
        overwrite: replace an existing `out` (--overwrite). Without it an `out` that exists
            when the rows are written, even one another run has just written, is kept and
            `amnn.errors.OutputExistsError` raised.
        finish: called with the row count once every row is written, before `out` appears;
            an error raised there leaves no file (and the old one, if any).
    """
    written = 0
    # A crash or Ctrl-C leaves no half CSV that looks like a result.
    with atomic_output(out, suffix=".partial", replace=overwrite, flag="--out") as partial:
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
        if finish is not None:
            finish(written)
    return written


class PredictionCounts:
    """How many posts got a prediction: with --on-bad-image skip, a bad photo's gets none.

    Args:
        tally: `amnn.data.photo_files.BadImageTally`, the predictor's, filled as it goes.
        policy: --on-bad-image.
        source: the input CSV, for the message.

    Example:
        >>> from amnn.data.photo_files import BadImage, BadImageTally
        >>> tally = BadImageTally(); tally.add([BadImage(0, 2, "gone.jpg", "missing")])
        >>> counts = PredictionCounts(tally, "skip", Path("posts.csv"))
        >>> counts.progress(3), counts.made(3)
        ('2 posts (1 skipped for a bad photo)', 2)
        >>> counts.summary(3, Path("out.csv"))
        'wrote 3 posts to out.csv, 2 of them with predicted_hashtags'
        >>> counts.require_some(1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        amnn.errors.DataError: posts.csv: every post (1) has a bad photo, so nothing ...
    """

    def __init__(self, tally, policy: str, source: Path) -> None:
        self.tally, self.policy, self.source = tally, policy, source

    def made(self, written: int) -> int:
        """Posts among the first `written` that got a prediction."""
        return written - self.tally.count if self.policy == "skip" else written

    def progress(self, written: int) -> str:
        """The progress line's count after `written` rows."""
        skipped = written - self.made(written)
        return f"{self.made(written)} posts" + \
            (f" ({skipped} skipped for a bad photo)" if skipped else "")

    def summary(self, written: int, out: Path, column: str = PREDICTION_COLUMN) -> str:
        """The closing line: 'wrote 10 posts to OUT, 7 of them with predicted_hashtags'."""
        if self.made(written) == written:
            return f"wrote {written} posts with {column} to {out}"
        return f"wrote {written} posts to {out}, {self.made(written)} of them with {column}"

    def require_some(self, written: int) -> None:
        """`write_predictions`'s `finish`: DataError when every post was skipped, since a
        file of empty cells is no result (and must not replace an old one)."""
        if written and not self.made(written):
            raise DataError(str(self.source), f"every post ({written}) has a bad photo, so "
                            "nothing was predicted and no file was written; fix the photos "
                            "(--on-bad-image error lists them all), or pass --on-bad-image "
                            "text-only to use the posts without their photo")

