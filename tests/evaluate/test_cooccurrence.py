"""The co-occurrence completer: counts with the given tags, ties by popularity, givens left out."""

import pytest

from amnn.evaluate.cooccurrence import CooccurrenceCompleter

TRAIN = [["sandy", "nyc"], ["sandy", "storm", "nyc"], ["sandy", "storm"], ["boston"],
         ["boston", "marathon"], ["nyc", "marathon"], ["sandy"]]


def test_counts_are_summed_over_the_given_tags_and_ties_go_to_the_popular_tag():
    completer = CooccurrenceCompleter().fit(TRAIN)
    # nyc: sandy 2, storm 1, marathon 1 (storm and marathon tie: equally popular, storm first)
    assert completer.complete([["nyc"]], k=3) == [["sandy", "storm", "marathon"]]
    # nyc + boston: sandy 2 + 0, marathon 1 + 1: a tie, and sandy is the more popular
    assert completer.complete([["nyc", "boston"]], k=2) == [["sandy", "marathon"]]


def test_given_tags_never_come_back_and_lists_stop_at_the_vocabulary():
    completer = CooccurrenceCompleter().fit(TRAIN)
    (completed,) = completer.complete([["sandy", "nyc", "unknown"]], k=10)
    assert not {"sandy", "nyc"} & set(completed) and len(completed) == 3


def test_unfitted_or_bad_k_is_refused():
    with pytest.raises(ValueError, match="fit"):
        CooccurrenceCompleter().complete([["a"]])
    with pytest.raises(ValueError, match="k must"):
        CooccurrenceCompleter().fit(TRAIN).complete([["a"]], k=0)
