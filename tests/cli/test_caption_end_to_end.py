"""End to end: train.py --task caption, predict.py writes `predicted_caption`, scored.

The demo's real photos and hashtags, English and Korean captions; a few epochs, so the
captions are rough, but the whole path runs as a user runs it.
"""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_end_to_end import REPO, run


@pytest.fixture(scope="module")
def caption_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("captions")
    model = root / "model"
    run("train.py", "--data", REPO / "dataset", "--out", model, "--task", "caption",
        "--epochs", "3", "--val-fraction", "0", "--decoder-units", "32", "--batch-size", "32",
        "--quiet", cache=root / "cache")
    return root, model


@pytest.mark.slow
def test_caption_model_folder_says_its_task(caption_model):
    _, model = caption_model
    config = json.loads((model / "config.json").read_text())
    assert config["task"] == "caption" and config["include_image"]
    words = json.loads((model / "text_vectorizer.json").read_text())["words"]
    assert "the" in words and any("\uac00" <= ch <= "\ud7a3" for w in words for ch in w)


@pytest.mark.slow
@pytest.mark.parametrize("beam", ["1", "3"])
def test_predict_writes_one_caption_per_row_in_order(caption_model, tmp_path, beam):
    root, model = caption_model
    out = tmp_path / "captions.csv"
    run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out", out,
        "--beam", beam, "--chunk-size", "7", "--quiet", cache=root / "cache")
    source = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str,
                         keep_default_na=False)
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written[source.columns], source)
    vocabulary = set(json.loads((model / "text_vectorizer.json").read_text())["words"])
    for caption in written["predicted_caption"]:
        words = caption.split()
        assert 1 <= len(words) <= 30 and set(words) <= vocabulary
    scored = run("result_accuracy.py", out, cache=root / "cache")
    metrics = json.loads((tmp_path / "captions_metrics.json").read_text())
    assert "BLEU-1" in scored.stdout and "ROUGE-L" in scored.stdout
    assert metrics["n_posts"] + metrics["n_skipped"] == len(source)


@pytest.mark.slow
def test_predict_needs_no_text_column_but_its_hashtags(caption_model, tmp_path):
    root, model = caption_model
    posts = pd.read_csv(REPO / "test_dataset" / "image_text_tag.csv", dtype=str,
                        keep_default_na=False).head(4)
    (tmp_path / "images").symlink_to(REPO / "test_dataset" / "images")
    posts[["image_names", "hashtags"]].to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "captions.csv"
    run("predict.py", "--model", model, "--data", tmp_path / "new.csv", "--out", out,
        "--quiet", cache=root / "cache")
    assert len(pd.read_csv(out)["predicted_caption"].dropna()) == 4
    posts[["image_names"]].to_csv(tmp_path / "photos_only.csv", index=False)
    failed = run("predict.py", "--model", model, "--data", tmp_path / "photos_only.csv",
                 "--out", tmp_path / "x.csv", "--quiet", cache=root / "cache", expect=2)
    assert "photos_only.csv" in failed.stderr and "no hashtags column" in failed.stderr


@pytest.mark.slow
def test_a_model_reading_hashtags_as_words_keeps_its_segmenter(tmp_path):
    model = tmp_path / "words"
    run("train.py", "--data", REPO / "dataset", "--out", model, "--task", "caption",
        "--no-image", "--hashtag-words", "on", "--epochs", "2", "--val-fraction", "0",
        "--decoder-units", "16", "--quiet", cache=tmp_path / "cache")
    assert (model / "hashtag_words.json").is_file()
    inputs = set(json.loads((model / "hashtag_vocab.json").read_text())["tags"])
    assert {"cats", "of"} <= inputs  # catsofinstagram, read as its words
    assert "catsofinstagram" not in inputs
    out = tmp_path / "captions.csv"
    run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out", out,
        "--quiet", cache=tmp_path / "cache")
    assert pd.read_csv(out, dtype=str, keep_default_na=False)["predicted_caption"].all()


@pytest.fixture(scope="module")
def chosen_model(tmp_path_factory):
    """A caption model trained with the default by-photo split: it chooses on those posts."""
    root = tmp_path_factory.mktemp("chosen")
    model = root / "model"
    done = run("train.py", "--task", "caption", "--data", REPO / "dataset", "--out", model,
               "--epochs", "2", "--decoder-units", "32", "--batch-size", "32", "--quiet",
               cache=root / "cache")
    return root, model, done.stderr


def _captions(root, model, out, *flags, expect=0):
    done = run("predict.py", "--model", model, "--data", REPO / "test_dataset", "--out", out,
               *flags, cache=root / "cache", expect=expect)
    if expect:
        return done.stderr
    return pd.read_csv(out, dtype=str, keep_default_na=False)["predicted_caption"].tolist()


@pytest.mark.slow
def test_training_chooses_on_its_held_out_posts_and_predict_answers_with_the_choice(
        chosen_model, tmp_path):
    from amnn.train.caption_choice import CaptionChoice, label

    root, model, stderr = chosen_model
    manifest = json.loads((model / "amnn_model.json").read_text())
    choice = CaptionChoice.from_json(manifest["caption_choice"])
    assert choice.line() in stderr.splitlines()
    # The retriever is chosen on folds of the posts the writer learnt from; then the
    # writer and it meet on the posts held out for stopping. Never on what predict.py reads.
    assert (choice.folds, choice.fold_posts) == (3, manifest["training"]["train_posts"])
    assert [label(c["method"], c["alpha"]) for c in choice.fold_candidates] == [
        "frequent", "retrieval-photo", "retrieval-tags", "retrieval-tags-meaning",
        "retrieval-both (alpha 0.25)", "retrieval-both (alpha 0.5)",
        "retrieval-both (alpha 0.75)"]
    best_on_folds = max(choice.fold_candidates, key=lambda c: c["score"])
    assert choice.retriever == {"method": best_on_folds["method"],
                                "alpha": best_on_folds["alpha"]}
    assert choice.posts == manifest["training"]["val_posts"] > 0
    assert [(c["method"], c["alpha"]) for c in choice.candidates] == [
        ("writer", None), (choice.retriever["method"], choice.retriever["alpha"])]
    best = max(c["score"] for c in choice.candidates)
    chosen = next(c for c in choice.candidates if c["score"] == best)  # the earliest best
    assert (chosen["method"], chosen["alpha"]) == (choice.method, choice.alpha)
    # The best retriever ships with the training posts' captions, no pickle needed: the
    # posts held out for the choice too, since they are the user's own (no --val).
    assert "caption_retrieval.npz" in manifest["files"]
    with np.load(model / "caption_retrieval.npz", allow_pickle=False) as arrays:
        assert str(arrays["name"]) == choice.retriever["method"]
        shipped = arrays["captions"].tolist()
    assert len(shipped) == manifest["training"]["train_posts"] + \
        manifest["training"]["val_posts"]
    auto = _captions(root, model, tmp_path / "auto.csv")
    method = "retrieve" if choice.retrieves else "write"
    assert auto == _captions(root, model, tmp_path / "chosen.csv", "--caption-method", method)
    retrieved = _captions(root, model, tmp_path / "retrieved.csv", "--caption-method",
                          "retrieve")
    assert set(retrieved) <= set(shipped)  # training captions, as written


@pytest.mark.slow
def test_a_folder_written_before_the_choice_still_writes(chosen_model, tmp_path):
    root, model, _ = chosen_model
    old = tmp_path / "old"
    shutil.copytree(model, old)
    manifest = json.loads((old / "amnn_model.json").read_text())
    del manifest["caption_choice"], manifest["files"]["caption_retrieval.npz"]
    (old / "caption_retrieval.npz").unlink()
    (old / "amnn_model.json").write_text(json.dumps(manifest))
    assert _captions(root, old, tmp_path / "old.csv") == \
        _captions(root, model, tmp_path / "write.csv", "--caption-method", "write")
    failed = _captions(root, old, tmp_path / "x.csv", "--caption-method", "retrieve", expect=2)
    assert "holds no retriever" in failed
