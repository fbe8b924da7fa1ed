"""Tests of amnn/evaluate/caption_metrics.py on captions whose scores are worked out by hand."""

import math

import pytest

from amnn.evaluate.caption_metrics import (
    BLEU_NAMES,
    METEOR_NAME,
    ROUGE_NAME,
    caption_scores,
)


def test_identical_captions_score_one():
    captions = ["Hurricane Sandy floods the subway", "runners at the finish line", "nyc"]
    scores = caption_scores(captions, captions)
    assert scores.bleu == [1.0] * 4
    assert scores.rouge_l == 1.0
    # METEOR's fragmentation penalty never vanishes: 1 - 0.5 * (1 chunk / n words) ** 3.
    expected = sum(1 - 0.5 / n ** 3 for n in (5, 5, 1)) / 3
    assert scores.meteor == pytest.approx(expected, abs=1e-6)
    assert (scores.n_posts, scores.n_skipped, scores.n_empty) == (3, 0, 0)
    # A corpus of captions shorter than 4 words has no 4-gram: that order is left out.
    assert caption_scores(["nyc storm", "boston"], ["nyc storm", "boston"]).bleu == [1.0] * 4


def test_disjoint_captions_score_zero():
    scores = caption_scores(["sunny beach day", "coffee"], ["storm hits nyc", "marathon"])
    assert scores.bleu == [0.0] * 4 and scores.rouge_l == 0.0 and scores.meteor == 0.0


def test_a_case_worked_out_by_hand():
    # Unigrams: the, cat, on, the, mat match 5 of 6, lengths equal (no brevity penalty);
    # bigrams 3 of 5 (the cat, on the, the mat); trigrams 1 of 4 (on the mat).
    scores = caption_scores(["the cat sat on the mat"], ["the cat is on the mat"])
    assert scores.bleu[0] == pytest.approx(5 / 6, abs=1e-6)
    assert scores.bleu[1] == pytest.approx(math.sqrt(5 / 6 * 3 / 5), abs=1e-6)
    assert scores.bleu[2] == pytest.approx((5 / 6 * 3 / 5 * 1 / 4) ** (1 / 3), abs=1e-6)
    # Longest common subsequence 'the cat on the mat': P = R = F = 5/6.
    assert scores.rouge_l == pytest.approx(5 / 6, abs=1e-6)
    # METEOR: F = 5/6 (P = R), two chunks of 5 matches: penalty 0.5 * (2/5) ** 3.
    assert scores.meteor == pytest.approx(5 / 6 * (1 - 0.5 * 0.4 ** 3), abs=1e-6)


def test_brevity_penalty_charges_a_short_caption():
    scores = caption_scores(["storm hits"], ["storm hits nyc tonight"])
    assert scores.bleu[0] == pytest.approx(math.exp(1 - 4 / 2), abs=1e-6)
    assert scores.rouge_l == pytest.approx(2 * 1 * 0.5 / 1.5, abs=1e-6)  # P 1, R 1/2


def test_case_punctuation_and_urls_are_not_words():
    """The caption model writes lower-case words only; a copied caption is no better."""
    scores = caption_scores(["the storm hits nyc"], ["The storm hits NYC! https://t.co/x"])
    assert scores.bleu == [1.0] * 4 and scores.rouge_l == 1.0
    # sacrebleu's 13a on the raw text counts '!' and the URL's pieces as words.
    raw = caption_scores(["the storm hits nyc"], ["The storm hits NYC! https://t.co/x"], "13a")
    assert raw.bleu[0] < 1.0
    assert "tok:13a" in raw.bleu_signature and "tok:none" in scores.bleu_signature


def test_korean_scores_when_it_matches():
    scores = caption_scores(["오늘 제주 바다 너무 예뻐요 🌊"], ["오늘 제주 바다 정말 예뻐요"])
    # 4 of 6 words match ('🌊' is a word of its own); LCS 4 of P 6 and R 5.
    assert scores.bleu[0] == pytest.approx(4 / 6, abs=1e-6)
    assert scores.rouge_l == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5), abs=1e-6)
    assert scores.meteor > 0.5
    same = caption_scores(["카페에서 커피 한잔"], ["카페에서 커피 한잔"])
    assert same.bleu == [1.0] * 4 and same.rouge_l == 1.0


def test_characters_give_credit_for_a_korean_particle():
    # '카페에서' (at the café) and '카페' (café) are different words...
    assert caption_scores(["카페에서"], ["카페"]).bleu[0] == 0.0
    # ...but share two of four characters.
    assert caption_scores(["카페에서"], ["카페"], "char").bleu[0] == pytest.approx(0.5)


def test_stems_match_in_meteor_only():
    scores = caption_scores(["running cats"], ["the cat runs"])
    assert scores.bleu[0] == 0.0 and scores.rouge_l == 0.0
    assert scores.meteor > 0.3  # run/runs and cat/cats match by Porter stem


def test_empty_predictions_count_and_captionless_posts_are_skipped():
    scores = caption_scores(["storm hits nyc", "", "anything", "x"],
                            ["storm hits nyc", "boston marathon", "", "https://t.co/only"])
    assert (scores.n_posts, scores.n_skipped, scores.n_empty) == (2, 2, 1)
    assert scores.rouge_l == pytest.approx(0.5)  # 1 for the first post, 0 for the empty one
    assert scores.bleu[0] == pytest.approx(math.exp(1 - 5 / 3), abs=1e-6)  # 3 of 5 words


def test_report_rows_and_dict():
    scores = caption_scores(["a b"], ["a b"])
    names = [name for name, _ in scores.rows()]
    assert names == [*BLEU_NAMES, ROUGE_NAME, METEOR_NAME]
    assert METEOR_NAME == "METEOR (exact+stem, no WordNet synonyms)"
    report = scores.to_dict()
    assert report["metrics"]["BLEU-4"] == 1.0 and report["n_posts"] == 1
    assert all(0.0 <= value <= 1.0 for _, value in scores.rows())


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="aligned"):
        caption_scores(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="bleu_tokenize"):
        caption_scores(["a"], ["a"], "spaces")
    with pytest.raises(ValueError, match="nothing to score"):
        caption_scores(["a", "b"], ["", "!!!"])
