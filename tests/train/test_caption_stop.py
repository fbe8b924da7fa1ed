"""The caption stopping score agrees with the reported metrics (sacrebleu, rouge-score)."""

import numpy as np
import pytest

from amnn.evaluate.caption_metrics import caption_scores
from amnn.train.caption_stop import bleu1, caption_objective, rouge_l

WORDS = "the storm hits nyc boston marathon rain today flood finish line".split()


def _as_text(ids):
    return " ".join(WORDS[i] for i in ids)


@pytest.mark.parametrize("seed", range(5))
def test_bleu1_and_rouge_l_on_ids_match_the_reported_metrics(seed):
    rng = np.random.default_rng(seed)
    written = [rng.integers(0, len(WORDS), rng.integers(1, 9)).tolist() for _ in range(20)]
    truths = [rng.integers(0, len(WORDS), rng.integers(1, 12)).tolist() for _ in range(20)]
    reported = caption_scores([_as_text(w) for w in written], [_as_text(t) for t in truths])
    assert bleu1(written, truths) == pytest.approx(reported.bleu[0], abs=1e-5)
    rouge = np.mean([rouge_l(w, t) for w, t in zip(written, truths)])
    assert rouge == pytest.approx(reported.rouge_l, abs=1e-5)
    assert caption_objective(written, truths) == pytest.approx(
        (reported.bleu[0] + reported.rouge_l) / 2, abs=1e-5)


def test_nothing_written_scores_zero():
    assert bleu1([[]], [[1, 2]]) == 0.0 and rouge_l([], [1, 2]) == 0.0
