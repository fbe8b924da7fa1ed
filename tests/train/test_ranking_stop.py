"""What early stopping watches: the validation posts' ranking score, their loss, or none."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.config import AMNNConfig  # noqa: E402
from amnn.inputs.encoding import EncodedPosts  # noqa: E402
from amnn.train.fitting import _monitored  # noqa: E402
from amnn.train.preparation import PreparedData  # noqa: E402
from amnn.train.ranking_stop import ranking_objective  # noqa: E402


def test_ranking_objective_scores_precision_recall_and_hits():
    ranked = np.array([[4, 5, 6], [7, 8, 9], [5, 4, 10]])
    truths = [[4], [5, 6], [4, 11, 12, 13]]
    # P@1: 1/3; R@3: (1 + 0 + 1/4) / 3; A@3: 2/3
    expected = (1 / 3 + 1.25 / 3 + 2 / 3) / 3
    assert ranking_objective(ranked, truths, k=3) == pytest.approx(expected)
    assert ranking_objective(ranked, truths, k=1) == pytest.approx((1 / 3 + 1 / 3 + 1 / 3) / 3)


@pytest.mark.parametrize("stop_on, has_val, expected", [
    ("ranking", True, ("val_ranking", "max")), ("loss", True, ("val_loss", "min")),
    ("ranking", False, ("loss", "min"))])
def test_early_stopping_watches_the_configured_score(stop_on, has_val, expected):
    posts = EncodedPosts([[2]], None, [[5, 2]])
    val = posts if has_val else EncodedPosts([], None, [])
    data = PreparedData(AMNNConfig(stop_on=stop_on), None, None, posts, val, None, None)
    assert _monitored(data) == expected
