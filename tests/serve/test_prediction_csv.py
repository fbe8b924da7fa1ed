"""Tests of amnn.serve.prediction_csv: input rows kept in order, written in chunks, never half."""

from __future__ import annotations

import pandas as pd
import pytest

from amnn.errors import AMNNError
from amnn.serve.prediction_csv import check_output, write_predictions

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
