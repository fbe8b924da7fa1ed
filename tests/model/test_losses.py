"""The decoder losses: the order-free `remaining` loss against hand-computed values."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.model.losses import RemainingTagsLoss, make_tag_loss  # noqa: E402
from amnn.model.network import ModelSizes, build_amnn  # noqa: E402
from amnn.inputs.encoding import EncodedPosts  # noqa: E402
from amnn.inputs.pipeline import make_dataset  # noqa: E402
from amnn.train.fitting import compile_model  # noqa: E402
from amnn.data.vocabulary import EOS  # noqa: E402
from amnn.config import AMNNConfig  # noqa: E402

RNG = np.random.default_rng(3)


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_each_step_scores_every_tag_not_yet_given():
    logits = RNG.normal(size=(2, 4, 9)).astype("float32")
    targets = np.array([[6, 4, 8, EOS], [5, EOS, 0, 0]])
    lp = _log_softmax(logits)
    first = np.mean([-(lp[0, 0, [6, 4, 8]].mean()), -(lp[0, 1, [4, 8]].mean()),
                     -lp[0, 2, 8], -lp[0, 3, EOS]])
    second = np.mean([-lp[1, 0, 5], -lp[1, 1, EOS]])  # padded steps do not count
    value = float(RemainingTagsLoss()(targets, logits))
    assert value == pytest.approx((first + second) / 2, rel=1e-5)


def test_one_tag_per_post_is_plain_masked_cross_entropy():
    logits = RNG.normal(size=(3, 2, 7)).astype("float32")
    targets = np.array([[4, EOS], [6, EOS], [5, EOS]])
    assert float(RemainingTagsLoss()(targets, logits)) == pytest.approx(
        float(make_tag_loss("next")(targets, logits)), rel=1e-5)


def test_first_step_loss_ignores_the_order_of_the_tags():
    logits = RNG.normal(size=(1, 3, 8)).astype("float32")
    logits[0, 1, 6] = logits[0, 1, 4]  # so the second step scores the same either way
    loss = RemainingTagsLoss()
    in_order = float(loss(np.array([[4, 6, EOS]]), logits))
    assert float(loss(np.array([[6, 4, EOS]]), logits)) == pytest.approx(in_order, rel=1e-6)
    logits[0, 0, 4] += 1.0  # ...while the first step does see both tags
    assert float(loss(np.array([[6, 4, EOS]]), logits)) < in_order


def test_config_round_trip_and_unknown_name():
    loss = RemainingTagsLoss()
    assert isinstance(keras.losses.deserialize(keras.losses.serialize(loss)), RemainingTagsLoss)
    with pytest.raises(ValueError, match="tag_loss"):
        make_tag_loss("order")


@pytest.mark.parametrize("tag_loss, expected_share", [("next", 1.0), ("remaining", 0.5)])
def test_first_step_learns_the_tag_set_only_with_the_remaining_loss(tag_loss, expected_share):
    # Every post has tags {4, 5}, always given in the order 4, 5. The next-tag loss learns
    # "4 first"; the remaining loss learns that 4 and 5 are equally right at the first step.
    keras.utils.set_random_seed(7)
    config = AMNNConfig(include_image=False, word_embedding_dim=4, text_units=4,
                        attention_units=4, tag_embedding_dim=4, decoder_units=8, dropout=0.0)
    model = compile_model(build_amnn(config, ModelSizes(10, 7, (49, 4))), 1e-2, tag_loss)
    posts = EncodedPosts([[4, 5]] * 32, None, [[4, 5, EOS]] * 32)
    model.fit(make_dataset(posts, None, batch_size=32), epochs=150, verbose=0, shuffle=False)
    probs = keras.ops.softmax(model.predict({"text_ids": np.array([[4, 5]]),
                                             "tag_inputs": np.array([[1]])}, verbose=0))[0, 0]
    share = float(probs[4] / (probs[4] + probs[5]))
    assert share == pytest.approx(expected_share, abs=0.08)
