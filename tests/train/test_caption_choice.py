"""Choosing between the caption writer and the retrievers (amnn/train/caption_choice.py).

Posts are tiny and the writer's captions are given as text, so nothing is trained here;
tests/cli/test_caption_end_to_end.py chooses for a model trained on the demo.
"""

import numpy as np
import pytest

from amnn.data.posts import Posts
from amnn.train.caption_choice import (
    CaptionChoice,
    caption_score,
    candidates,
    choose_caption_method,
    label,
)
from amnn.train.caption_stop import caption_objective

TRAIN = [("Storm floods the subway", "sandy nyc"), ("Go Boston!", "boston"),
         ("Runners at the finish line", "boston marathon"), ("Storm floods the subway", "sandy")]
HELD_OUT = [("Boston runners at the finish", "boston marathon"), ("the storm", "sandy")]


def posts(rows, name="t.csv") -> Posts:
    return Posts.from_rows(name, ["tweets", "hashtags"], [list(row) for row in rows],
                           list(range(2, len(rows) + 2)))


def test_candidates_come_in_tie_breaking_order():
    assert candidates(use_photos=True, use_tags=True) == [
        ("writer", None), ("frequent", None), ("retrieval-photo", None),
        ("retrieval-tags", None), ("retrieval-both", 0.25), ("retrieval-both", 0.5),
        ("retrieval-both", 0.75)]
    assert candidates(use_photos=False, use_tags=False) == [("writer", None),
                                                            ("frequent", None)]


def test_every_candidate_is_scored_on_the_words_of_its_text():
    # Case and punctuation aside, as the reported metrics count words.
    assert caption_score(["Storm, floods!"], ["storm floods"]) == 1.0
    written, truths = ["the storm hits", "go"], ["storm hits nyc", "go boston go"]
    ids = {word: i for i, word in enumerate("the storm hits nyc go boston".split())}
    as_ids = [[[ids[w] for w in text.split()] for text in texts] for texts in (written, truths)]
    assert caption_score(written, truths) == pytest.approx(caption_objective(*as_ids))


def test_the_choice_is_scored_on_the_held_out_posts_with_retrievers_fitted_on_training():
    train, held_out = posts(TRAIN), posts(HELD_OUT, "v.csv")
    choice, retriever = choose_caption_method(["a b", "c d"], train, held_out, use_tags=True)
    assert choice.posts == len(held_out) == 2
    assert (choice.method, choice.alpha) == ("retrieval-tags", None)
    # Fitted on the training posts alone: no held-out caption can be retrieved.
    assert set(retriever.captions) == {text for text, _ in TRAIN}
    assert retriever.predict(held_out) == ["Runners at the finish line",
                                           "Storm floods the subway"]
    scores = {label(c["method"], c["alpha"]): c["score"] for c in choice.candidates}
    assert scores["writer"] == 0.0 and scores["retrieval-tags"] == round(caption_score(
        retriever.predict(held_out), [text for text, _ in HELD_OUT]), 4)
    # Other held-out truths, another choice: the held-out posts decide, nothing else.
    truths = posts([("a b", "boston marathon"), ("c d", "sandy")], "v.csv")
    assert choose_caption_method(["a b", "c d"], train, truths, use_tags=True)[0].method \
        == "writer"


def test_a_tie_goes_to_the_writer_then_to_the_earlier_retriever():
    train, held_out = posts(TRAIN), posts(HELD_OUT, "v.csv")
    frequent = ["Storm floods the subway"] * 2  # exactly what `frequent` retrieves
    choice, retriever = choose_caption_method(frequent, train, held_out)
    assert choice.method == "writer"
    assert [c["method"] for c in choice.candidates] == ["writer", "frequent"]
    assert choice.candidates[0]["score"] == choice.candidates[1]["score"]
    assert choice.retriever == {"method": "frequent", "alpha": None}
    assert retriever.name == "frequent"


def test_retrieval_both_is_chosen_with_photos_given_as_arrays():
    rows = [("a.jpg", "Storm floods the subway", "sandy"), ("b.jpg", "Go Boston", "sandy")]
    train = Posts.from_rows("t.csv", ["image_names", "tweets", "hashtags"],
                            [list(r) for r in rows], [2, 3], check_images=False)
    held_out = Posts.from_rows("v.csv", ["image_names", "tweets", "hashtags"],
                               [["b.jpg", "go boston go", "sandy"]], [2], check_images=False)
    table = np.repeat(np.eye(2, dtype=np.float16)[:, None, :], 3, axis=1)
    photos = ((table, np.array([0, 1])), (table, np.array([1])))
    choice, retriever = choose_caption_method(["storm"], train, held_out, photos,
                                              use_photos=True, use_tags=True)
    assert [label(c["method"], c["alpha"]) for c in choice.candidates][2:] == [
        "retrieval-photo", "retrieval-tags", "retrieval-both (alpha 0.25)",
        "retrieval-both (alpha 0.5)", "retrieval-both (alpha 0.75)"]
    assert choice.method == "retrieval-photo"  # tags tie; the photo finds Boston first
    assert retriever.predict(held_out, photos[1]) == ["Go Boston"]


def test_the_choice_round_trips_through_json_and_says_itself_in_one_line():
    choice = CaptionChoice("retrieval-both", 0.25, 50, [
        {"method": "writer", "alpha": None, "score": 0.061},
        {"method": "frequent", "alpha": None, "score": 0.035},
        {"method": "retrieval-both", "alpha": 0.25, "score": 0.078}],
        {"method": "retrieval-both", "alpha": 0.25})
    assert CaptionChoice.from_json(choice.to_json()) == choice and choice.retrieves
    assert choice.line() == ("caption method chosen on 50 held-out posts: retrieval-both "
                             "(alpha 0.25) 0.078; writer 0.061, frequent 0.035")
    old = CaptionChoice.from_json(None)  # a folder written before the choice
    assert not old.retrieves and old.method == "writer"
    assert choose_caption_method(["x"], posts(TRAIN), posts([], "v.csv")) == (old, None)


def test_one_caption_for_every_post_never_wins_however_well_it_matches():
    # "the storm the finish" shares words with both truths; the retriever's two captions
    # differ as the two posts do. Guarded as early stopping guards an epoch, the writer
    # that says the same for different inputs loses; unguarded, it would win.
    held_out = posts([("the storm at the finish", "boston marathon"),
                      ("the storm at the finish line", "sandy")], "v.csv")
    same = ["the storm at the finish"] * 2
    unguarded, _ = choose_caption_method(same, posts(TRAIN), held_out, use_tags=True)
    assert unguarded.method == "writer"
    guarded, _ = choose_caption_method(same, posts(TRAIN), held_out, use_tags=True,
                                       inputs=[(None, "boston"), (None, "sandy")])
    assert guarded.method == "retrieval-tags"
    writer = next(c for c in guarded.candidates if c["method"] == "writer")
    assert writer["distinct"] == 0.5 and writer["score"] < 0 < writer["match"]
