"""Choosing between the caption writer and the retrievers (amnn/train/caption_choice.py).

Posts are tiny and the writer's captions are given as text, so nothing is trained here;
tests/cli/test_caption_end_to_end.py chooses for a model trained on the demo.
"""

import numpy as np
import pytest

from amnn.data.posts import Posts
from amnn.train.caption_choice import (
    CaptionChoice,
    candidates,
    choose_caption_method,
    label,
)
from amnn.train.caption_stop import caption_objective
from amnn.train.retriever_choice import caption_score

TRAIN = [("Storm floods the subway", "sandy nyc"), ("Go Boston!", "boston"),
         ("Runners at the finish line", "boston marathon"), ("Storm floods the subway", "sandy")]
HELD_OUT = [("Boston runners at the finish", "boston marathon"), ("the storm", "sandy")]


def posts(rows, name="t.csv") -> Posts:
    return Posts.from_rows(name, ["tweets", "hashtags"], [list(row) for row in rows],
                           list(range(2, len(rows) + 2)))


def test_candidates_come_in_tie_breaking_order():
    assert candidates(use_photos=True, use_tags=True) == [
        ("writer", None), ("frequent", None), ("retrieval-photo", None),
        ("retrieval-tags", None), ("retrieval-tags-meaning", None), ("retrieval-both", 0.25), ("retrieval-both", 0.5),
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


def test_the_retriever_is_chosen_on_folds_of_the_training_photos_given_as_arrays():
    # Six photos, two looks (storm, Boston), one uninformative tag: the photo decides.
    storm, boston = "Storm floods the subway", "Go Boston"
    rows = [(f"{i}.jpg", storm if i < 3 else boston, "news") for i in range(6)]
    train = Posts.from_rows("t.csv", ["image_names", "tweets", "hashtags"],
                            [list(r) for r in rows], list(range(2, 8)), check_images=False)
    held_out = Posts.from_rows("v.csv", ["image_names", "tweets", "hashtags"],
                               [["6.jpg", "go boston go", "news"]], [2], check_images=False)
    looks = np.array([[1, 0.1], [1, 0.2], [1, 0.3], [0.1, 1], [0.2, 1], [0.3, 1], [0, 1]])
    table = np.repeat(looks.astype(np.float16)[:, None, :], 3, axis=1)
    photos = ((table, np.arange(6)), (table, np.array([6])))
    choice, retriever = choose_caption_method(["storm"], train, held_out, photos,
                                              use_photos=True, use_tags=True)
    assert (choice.folds, choice.fold_posts) == (3, 6)
    assert [label(c["method"], c["alpha"]) for c in choice.fold_candidates] == [
        "frequent", "retrieval-photo", "retrieval-tags", "retrieval-tags-meaning",
        "retrieval-both (alpha 0.25)", "retrieval-both (alpha 0.5)",
        "retrieval-both (alpha 0.75)"]
    # On the folds the tag ties every post, so the photo is all that finds the look;
    # retrieval-both ties it and the simpler retriever wins.
    assert choice.retriever == {"method": "retrieval-photo", "alpha": None}
    assert [c["method"] for c in choice.candidates] == ["writer", "retrieval-photo"]
    assert choice.method == "retrieval-photo"
    assert retriever.predict(held_out, photos[1]) == [boston]


def test_the_held_out_posts_judge_only_the_writer_against_the_fold_chosen_retriever():
    # Held-out truths that `frequent` would match best do not change which retriever is
    # kept: that was decided on the training folds (retrieval-tags, see above).
    train = posts(TRAIN)
    held_out = posts([("Storm floods the subway", "boston marathon"),
                      ("Storm floods the subway", "boston")], "v.csv")
    choice, retriever = choose_caption_method(["x", "y"], train, held_out, use_tags=True)
    assert choice.folds == 3 and retriever.name == "retrieval-tags"
    assert [c["method"] for c in choice.candidates] == ["writer", "retrieval-tags"]
    # Too few photo groups to fold: every retriever competes on the held-out posts.
    single = posts(TRAIN[:1])
    choice, retriever = choose_caption_method(["x", "y"], single, held_out, use_tags=True)
    assert choice.folds == 0 and not choice.fold_candidates
    assert [c["method"] for c in choice.candidates] == [
        "writer", "frequent", "retrieval-tags", "retrieval-tags-meaning"]
    assert "folds" not in choice.line()


def test_the_choice_round_trips_through_json_and_says_itself_in_one_line():
    choice = CaptionChoice("retrieval-both", 0.25, 50, [
        {"method": "writer", "alpha": None, "score": 0.061},
        {"method": "frequent", "alpha": None, "score": 0.035},
        {"method": "retrieval-both", "alpha": 0.25, "score": 0.078}],
        {"method": "retrieval-both", "alpha": 0.25})
    assert CaptionChoice.from_json(choice.to_json()) == choice and choice.retrieves
    assert choice.line() == ("caption method chosen on 50 held-out posts: retrieval-both "
                             "(alpha 0.25) 0.078; writer 0.061, frequent 0.035")
    folded = CaptionChoice("retrieval-both", 0.25, 50,
                           choice.candidates[:1] + choice.candidates[2:],
                           choice.retriever, 3, 400, [
                               {"method": "frequent", "alpha": None, "score": -0.9,
                                "match": 0.04, "distinct": 0.1},
                               {"method": "retrieval-both", "alpha": 0.25, "score": 0.07}])
    assert CaptionChoice.from_json(folded.to_json()) == folded
    assert folded.line() == (
        "caption method chosen on 50 held-out posts: retrieval-both (alpha 0.25) 0.078; "
        "writer 0.061 | retriever chosen on 3 folds of 400 training posts: retrieval-both "
        "(alpha 0.25) 0.070; frequent 0.040 (only 10% distinct)")
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
