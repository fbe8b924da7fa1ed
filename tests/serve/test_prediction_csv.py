"""Tests of amnn.serve.prediction_csv: input rows kept in order, written in chunks, never half."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from amnn.data.photo_files import BadImage, BadImageTally
from amnn.errors import AMNNError, DataError, OutputExistsError
from amnn.serve.prediction_csv import PredictionCounts, check_output, write_predictions

ROWS = pd.DataFrame({"tweets": ["rain, nyc", "sun", "", "snow\nstorm", "fog"],
                     "note": ["a", "b", "c", "d", "e"]})


def _source(tmp_path):
    path = tmp_path / "posts.csv"
    ROWS.to_csv(path, index=False)
    return path


def test_rows_come_back_in_order_with_one_more_column_whatever_the_chunk_size(tmp_path):
    source, seen = _source(tmp_path), []
    written = write_predictions(source, tmp_path / "out.csv",
                                lambda chunk: [[text.split()[0].strip(",")] if text else []
                                               for text in chunk.texts],
                                chunk_size=2, on_chunk=seen.append)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert written == 5 and seen == [2, 4, 5]
    pd.testing.assert_frame_equal(out[list(ROWS.columns)], ROWS)
    assert out["predicted_hashtags"].tolist() == ["rain", "sun", "", "snow", "fog"]


def test_a_predictions_file_given_as_input_gets_its_column_replaced(tmp_path):
    source = _source(tmp_path)
    write_predictions(source, tmp_path / "first.csv", lambda c: [["x"]] * len(c), 10)
    write_predictions(tmp_path / "first.csv", tmp_path / "second.csv",
                      lambda c: [["y", "z"]] * len(c), 10)
    second = pd.read_csv(tmp_path / "second.csv", dtype=str, keep_default_na=False)
    assert list(second.columns) == ["tweets", "note", "predicted_hashtags"]
    assert set(second["predicted_hashtags"]) == {"y z"}


def test_a_failure_mid_file_leaves_no_output(tmp_path):
    source, calls = _source(tmp_path), []

    def fails_on_the_second_chunk(chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        return [["x"]] * len(chunk)

    with pytest.raises(RuntimeError):
        write_predictions(source, tmp_path / "out.csv", fails_on_the_second_chunk, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["posts.csv"]


def test_check_output_never_replaces_an_input_or_an_existing_file(tmp_path):
    source = _source(tmp_path)
    with pytest.raises(AMNNError, match="is an input CSV"):
        check_output([source], tmp_path / "posts.csv", overwrite=True)
    (tmp_path / "old.csv").write_text("kept")
    with pytest.raises(AMNNError, match="--overwrite"):
        check_output([source], tmp_path / "old.csv", overwrite=False)
    check_output([source], tmp_path / "old.csv", overwrite=True)  # allowed when asked
    assert (tmp_path / "old.csv").read_text() == "kept"
    with pytest.raises(AMNNError, match="is a folder"):
        check_output([source], tmp_path, overwrite=True)


def test_a_file_written_by_another_run_meanwhile_is_kept_unless_overwrite(tmp_path):
    source, out = _source(tmp_path), tmp_path / "out.csv"

    def another_run_finishes_first(chunk):
        out.write_text("the other run's predictions\n")  # after our check, before our end
        return [["x"]] * len(chunk)

    with pytest.raises(OutputExistsError) as info:
        write_predictions(source, out, another_run_finishes_first, 10)
    assert str(info.value) == (f"{out} was written by another run while this one worked, and "
                               "is kept; pass --overwrite to replace it or choose another --out")
    assert out.read_text() == "the other run's predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "posts.csv"]
    write_predictions(source, out, another_run_finishes_first, 10, overwrite=True)
    assert len(pd.read_csv(out)) == len(ROWS)  # --overwrite: ours replaces it


def test_an_error_at_the_finish_leaves_the_old_file(tmp_path):
    source, out = _source(tmp_path), tmp_path / "out.csv"
    out.write_text("old\n")
    tally = BadImageTally()

    def all_photos_bad(chunk):
        tally.add([BadImage(i, i + 2, f"{i}.jpg", "missing") for i in range(len(chunk))])
        return [[] for _ in range(len(chunk))]

    counts = PredictionCounts(tally, "skip", source)
    with pytest.raises(DataError, match=r"every post \(5\) has a bad photo, so nothing was "
                                        "predicted and no file was written"):
        write_predictions(source, out, all_photos_bad, 2, overwrite=True,
                          finish=counts.require_some)
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "posts.csv"]


def test_counts_say_how_many_posts_got_a_prediction():
    tally = BadImageTally()
    tally.add([BadImage(0, 2, "a.jpg", "missing"), BadImage(3, 5, "d.jpg", "undecodable")])
    skipped = PredictionCounts(tally, "skip", Path("posts.csv"))
    assert skipped.progress(10) == "8 posts (2 skipped for a bad photo)"
    assert skipped.summary(10, Path("out.csv")) == \
        "wrote 10 posts to out.csv, 8 of them with predicted_hashtags"
    skipped.require_some(10)  # some were predicted: no error
    text_only = PredictionCounts(tally, "text-only", Path("posts.csv"))
    assert text_only.progress(10) == "10 posts"  # predicted from their captions
    assert text_only.summary(10, Path("out.csv")) == \
        "wrote 10 posts with predicted_hashtags to out.csv"
