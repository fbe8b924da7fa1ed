"""The custom Attention layer: masking, query shapes, config round trip, serialization."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.model.attention import Attention  # noqa: E402

RNG = np.random.default_rng(0)


def _values(batch=2, steps=5, dim=6):
    return RNG.normal(size=(batch, steps, dim)).astype("float32")


def test_pooling_shapes_and_weights_sum_to_one():
    layer = Attention(4, return_attention_scores=True)
    context, weights = layer(_values())
    assert tuple(context.shape) == (2, 6)
    np.testing.assert_allclose(np.sum(weights, axis=-1), 1.0, rtol=1e-5)


def test_masked_positions_get_no_weight_and_do_not_change_the_context():
    values = _values()
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], dtype=bool)
    layer = Attention(4, return_attention_scores=True)
    context, weights = layer(values, mask=mask)
    assert np.all(np.asarray(weights)[~mask] == 0.0)
    changed = values.copy()
    changed[~mask] = 1000.0  # garbage in padded positions must not leak in
    context_changed, _ = layer(changed, mask=mask)
    np.testing.assert_allclose(context, context_changed, atol=1e-5)


def test_fully_masked_row_gives_zero_context_not_nan():
    layer = Attention(4)
    mask = np.array([[0, 0, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    context = np.asarray(layer(_values(), mask=mask))
    assert np.all(np.isfinite(context))
    np.testing.assert_allclose(context[0], 0.0)


def test_query_per_post_and_per_step():
    values = _values()
    per_post = Attention(4)
    assert tuple(per_post(values, query=np.ones((2, 3), "float32")).shape) == (2, 6)
    per_step = Attention(4, return_attention_scores=True)
    context, weights = per_step(values, query=np.ones((2, 7, 3), "float32"))
    assert tuple(context.shape) == (2, 7, 6) and tuple(weights.shape) == (2, 7, 5)


def test_per_step_query_matches_one_step_at_a_time():
    values, queries = _values(), RNG.normal(size=(2, 3, 4)).astype("float32")
    layer = Attention(4)
    together = np.asarray(layer(values, query=queries))
    for step in range(3):
        alone = np.asarray(layer(values, query=queries[:, step:step + 1]))[:, 0]
        np.testing.assert_allclose(together[:, step], alone, atol=1e-5)


def test_calling_without_the_query_it_was_built_with_fails_clearly():
    layer = Attention(4)
    layer(_values(), query=np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="built with a query"):
        layer(_values())


def test_bad_units_rejected():
    with pytest.raises(ValueError, match="units"):
        Attention(0)


def test_get_config_round_trip_and_serialization(tmp_path):
    layer = Attention(7, return_attention_scores=True, name="att")
    clone = Attention.from_config(layer.get_config())
    assert clone.units == 7 and clone.return_attention_scores and clone.name == "att"
    inputs = keras.Input((5, 6))
    model = keras.Model(inputs, Attention(3, name="pool")(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    values = _values()
    np.testing.assert_allclose(model.predict(values, verbose=0),
                               loaded.predict(values, verbose=0), atol=1e-6)
