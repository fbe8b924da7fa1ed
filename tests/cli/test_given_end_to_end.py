"""End to end: predict.py completes the tags of a `given_hashtags` column (text-only model)."""

import json

import pandas as pd
import pytest

from tests.cli.test_end_to_end import REPO, run


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("given")
    model = root / "model"  # text only: no photo is opened, so it trains in seconds
    run("train.py", "--data", REPO / "dataset", "--out", model, "--epochs", "2", "--no-image",
        "--val-fraction", "0", "--decoder-units", "32", "--batch-size", "32", "--quiet",
        cache=root / "cache")
    return root, model


def test_predict_completes_the_given_tags_and_counts_unknown_ones_once(text_model, tmp_path):
    root, model = text_model
    posts = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str,
                        keep_default_na=False).head(12)
    given = [tags.split()[0] if i % 3 else "" for i, tags in enumerate(posts["hashtags"])]
    given[1] = f"#{given[1]} #nosuchtagever"  # one tag the model never saw
    posts["given_hashtags"] = given
    source = tmp_path / "posts.csv"
    posts.to_csv(source, index=False)
    (tmp_path / "images").symlink_to(REPO / "test_dataset" / "images")
    out = tmp_path / "pred.csv"
    done = run("predict.py", "--model", model, "--data", source, "--out", out, "--top-k", "3",
               "--chunk-size", "5", "--quiet", cache=root / "cache")
    notes = [line for line in done.stderr.splitlines() if "given hashtag" in line]
    assert notes == [("note: 1 given hashtag (in 1 post) is not in the model's hashtag "
                      "vocabulary: it was left out of the priming and is never recommended")]
    predicted = pd.read_csv(out, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(predicted[posts.columns], posts)
    vocabulary = set(json.loads((model / "hashtag_vocab.json").read_text())["tags"])
    for cell, given_cell in zip(predicted["predicted_hashtags"], given):
        tags = cell.split()
        assert len(tags) == 3 and set(tags) <= vocabulary
        assert not set(tags) & {t.lstrip("#") for t in given_cell.split()}
