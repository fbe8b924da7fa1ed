"""Tests of amnn.evaluate.metrics: hand-computed cases, then properties against a plain reference."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amnn.evaluate.metrics import MetricsTable, metrics_at_k


# --- hand-computed cases ---------------------------------------------------------------------

def test_worked_example_from_the_definitions():
    table = metrics_at_k([["a", "b", "c"]], [["b", "d"]], max_k=3)
    assert table.k == [1, 2, 3]
    assert table.precision == pytest.approx([0.0, 0.5, 1 / 3])
    assert table.recall == pytest.approx([0.0, 0.5, 0.5])
    assert table.accuracy == [0.0, 1.0, 1.0]
    # F1 of P=0.5, R=0.5 is 0.5; of P=1/3, R=1/2 is 0.4; both zero gives 0, not NaN.
    assert table.f1 == pytest.approx([0.0, 0.5, 0.4])
    assert (table.n_posts, table.n_skipped) == (1, 0)


def test_fewer_predictions_than_k_count_as_misses():
    table = metrics_at_k([["a"]], [["a", "b"]], max_k=3)
    assert table.precision == pytest.approx([1.0, 0.5, 1 / 3])
    assert table.recall == pytest.approx([0.5, 0.5, 0.5])
    assert table.accuracy == [1.0, 1.0, 1.0]


def test_empty_predictions_score_zero():
    table = metrics_at_k([[]], [["a"]], max_k=2)
    assert table.precision == table.recall == table.accuracy == table.f1 == [0.0, 0.0]


def test_posts_without_truth_are_skipped_and_counted():
    table = metrics_at_k([["a"], ["a"], ["zzz"]], [["a"], [], ["b"]], max_k=1)
    assert (table.n_posts, table.n_skipped) == (2, 1)
    assert table.precision == [0.5]  # mean over the two scored posts, not three


def test_duplicate_predictions_count_once_and_keep_first_rank():
    # Deduplicated, ["a", "a", "b"] is ["a", "b"]: "b" is at rank 2, not 3.
    table = metrics_at_k([["a", "a", "b"]], [["b"]], max_k=2)
    assert table.precision == pytest.approx([0.0, 0.5])
    assert table.accuracy == [0.0, 1.0]


def test_duplicate_truth_tags_count_once():
    table = metrics_at_k([["a"]], [["a", "a"]], max_k=1)
    assert table.recall == [1.0]


def test_f1_is_taken_from_the_averaged_precision_and_recall():
    # Per post (P@1, R@1): (1, 1), (0, 0), (1, 1/4). F1 of the means is about 0.513; the
    # mean of the per-post F1 values (1, 0, 0.4) would be about 0.467.
    table = metrics_at_k([["a"], ["x"], ["c"]], [["a"], ["b"], ["c", "d", "e", "f"]], max_k=1)
    precision, recall = 2 / 3, (1 + 0 + 0.25) / 3
    assert table.f1[0] == pytest.approx(2 * precision * recall / (precision + recall))
    assert table.f1[0] != pytest.approx((1 + 0 + 0.4) / 3)


def test_frame_and_dict_views():
    table = metrics_at_k([["a", "b"]], [["b"]], max_k=2)
    frame = table.to_frame()
    assert list(frame.columns) == ["k", "precision", "recall", "accuracy", "f1"]
    assert frame["k"].tolist() == [1, 2]
    as_dict = json.loads(json.dumps(table.to_dict()))
    assert MetricsTable(**as_dict) == table


@pytest.mark.parametrize("max_k", [0, -1, 1.5, True])
def test_bad_max_k_is_rejected_by_name(max_k):
    with pytest.raises(ValueError, match="max_k"):
        metrics_at_k([["a"]], [["a"]], max_k=max_k)


def test_length_mismatch_and_no_truth_are_rejected():
    with pytest.raises(ValueError, match="1 predictions and 2 truths"):
        metrics_at_k([["a"]], [["a"], ["b"]], max_k=1)
    with pytest.raises(ValueError, match="no post has a true hashtag"):
        metrics_at_k([["a"]], [[]], max_k=1)


# --- properties ------------------------------------------------------------------------------

TAGS = st.sampled_from("abcdefgh")
POSTS = st.lists(st.tuples(st.lists(TAGS, max_size=8), st.lists(TAGS, min_size=1, max_size=5)),
                 min_size=1, max_size=20)


def reference(predictions, truths, max_k):
    """The definitions written out per post and per k, with no cleverness."""
    rows = {"precision": [], "recall": [], "accuracy": []}
    for k in range(1, max_k + 1):
        p = r = a = 0.0
        for predicted, truth in zip(predictions, truths):
            top = list(dict.fromkeys(predicted))[:k]
            hits = len(set(top) & set(truth))
            p, r, a = p + hits / k, r + hits / len(set(truth)), a + (hits > 0)
        for name, total in zip(rows, (p, r, a)):
            rows[name].append(total / len(truths))
    return rows


@settings(max_examples=150, deadline=None)
@given(posts=POSTS, max_k=st.integers(1, 10))
def test_matches_the_reference_and_stays_in_range(posts, max_k):
    predictions, truths = [p for p, _ in posts], [t for _, t in posts]
    table = metrics_at_k(predictions, truths, max_k)
    expected = reference(predictions, truths, max_k)
    for name, values in expected.items():
        assert getattr(table, name) == pytest.approx(values)
    for name in ("precision", "recall", "accuracy", "f1"):
        assert all(0.0 <= v <= 1.0 for v in getattr(table, name))
    assert table.precision[0] == pytest.approx(table.accuracy[0])  # one guess: hit == precise


@settings(max_examples=100, deadline=None)
@given(posts=POSTS, max_k=st.integers(1, 10))
def test_recall_and_accuracy_never_fall_as_k_grows(posts, max_k):
    table = metrics_at_k([p for p, _ in posts], [t for _, t in posts], max_k)
    for name in ("recall", "accuracy"):
        values = getattr(table, name)
        assert all(a <= b + 1e-12 for a, b in zip(values, values[1:]))


@settings(max_examples=100, deadline=None)
@given(truth=st.lists(TAGS, min_size=1, max_size=8, unique=True), max_k=st.integers(1, 10))
def test_perfect_predictions(truth, max_k):
    # Predicting exactly the truth: every guess is right while guesses last, so P@k is 1 up to
    # k = |truth| and |truth|/k after; R@k grows as k/|truth| until it reaches 1.
    table = metrics_at_k([truth], [truth], max_k)
    n = len(truth)
    for k, p, r, a in zip(table.k, table.precision, table.recall, table.accuracy):
        assert p == pytest.approx(min(k, n) / k)
        assert r == pytest.approx(min(k, n) / n)
        assert a == 1.0


@settings(max_examples=100, deadline=None)
@given(posts=POSTS, max_k=st.integers(1, 6), tail=st.lists(TAGS, max_size=4))
def test_repeats_and_guesses_after_k_change_nothing(posts, max_k, tail):
    predictions, truths = [p for p, _ in posts], [t for _, t in posts]
    base = metrics_at_k(predictions, truths, max_k)
    # Repeating each post's predictions, or adding guesses after its first max_k distinct
    # ones, must not move any score.
    doubled = [p + p for p in predictions]
    clipped = [list(dict.fromkeys(p))[:max_k] for p in predictions]
    padded = [c + tail if len(c) == max_k else c for c in clipped]
    assert metrics_at_k(doubled, truths, max_k) == base
    assert metrics_at_k(padded, truths, max_k) == base
