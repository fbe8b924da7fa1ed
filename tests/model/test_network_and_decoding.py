"""The AMNN network, its training graph vs step-by-step decoding, save/load, and decoders."""

import itertools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from amnn.data.vocabulary import HashtagVocabulary  # noqa: E402
from amnn.model.decoding import BatchDecoder  # noqa: E402
from amnn.inputs.encoding import EncodedPosts, pad_ids  # noqa: E402
from amnn.inputs.pipeline import make_dataset  # noqa: E402
from amnn.model.network import AMNNNetwork, ModelSizes, build_amnn  # noqa: E402
from amnn.train.fitting import MaskedTagAccuracy, compile_model  # noqa: E402
from amnn.data.vocabulary import BOS, EOS, PAD, UNK  # noqa: E402
from benchmarks.speed.published_reference import reference_greedy  # noqa: E402
from amnn.config import AMNNConfig  # noqa: E402

TINY = dict(word_embedding_dim=8, text_units=8, attention_units=8, region_units=8,
            tag_embedding_dim=8, decoder_units=12, dropout=0.0)
SIZES = ModelSizes(word_vocab_size=30, tag_vocab_size=14, feature_shape=(49, 16))
RNG = np.random.default_rng(1)


def _inputs(config, batch=3):
    inputs = {"tag_inputs": np.array([[BOS, 5, 6], [BOS, 7, 0], [BOS, 9, 10]][:batch], "int32")}
    if config.include_text:
        inputs["text_ids"] = np.array([[3, 4, 5, 0], [0, 0, 0, 0], [6, 7, 8, 9]][:batch], "int32")
    if config.include_image:
        inputs["image_regions"] = RNG.normal(size=(batch, 49, 16)).astype("float16")
        inputs["image_index"] = np.arange(batch, dtype="int32")  # one photo per post
    return inputs


@pytest.mark.parametrize("branches", [dict(), dict(include_image=False), dict(include_text=False)])
def test_training_graph_equals_step_by_step_decoding(branches):
    config = AMNNConfig(**TINY, **branches)
    model = build_amnn(config, SIZES)
    inputs = _inputs(config)
    teacher_forced = model.predict(inputs, verbose=0)
    assert teacher_forced.shape == (3, 3, SIZES.tag_vocab_size)
    assert np.all(np.isfinite(teacher_forced))  # including the post with an empty caption
    network = AMNNNetwork.from_model(model, config)
    memory, state = network.encode(inputs.get("text_ids"), inputs.get("image_regions"))
    for step in range(2):  # the first two steps have no padding in any row
        logits, state = network.decode(inputs["tag_inputs"][:, step:step + 1], state, memory)
        np.testing.assert_allclose(logits[:, 0], teacher_forced[:, step], atol=1e-4)


def test_image_is_an_input_once_not_per_step():
    model = build_amnn(AMNNConfig(**TINY), SIZES)
    assert tuple(model.input["image_regions"].shape) == (None, 49, 16)


def test_saved_model_reloads_and_predicts_the_same(tmp_path):
    config = AMNNConfig(**TINY)
    model = compile_model(build_amnn(config, SIZES), 1e-2)
    inputs, targets = _inputs(config), np.array([[5, 6, EOS], [7, EOS, 0], [9, 10, EOS]])
    model.train_on_batch(inputs, targets)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False, safe_mode=True)
    np.testing.assert_allclose(model.predict(inputs, verbose=0),
                               loaded.predict(inputs, verbose=0), atol=1e-6)


def test_padding_is_ignored_by_loss_and_accuracy():
    config = AMNNConfig(**TINY)
    model = compile_model(build_amnn(config, SIZES), 1e-3)
    inputs = _inputs(config)
    targets = np.array([[5, 6, EOS], [7, EOS, PAD], [9, 10, EOS]])
    loss = model.evaluate(inputs, targets, verbose=0, return_dict=True)["loss"]
    logits = model.predict(inputs, verbose=0)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    real = targets != PAD
    expected = -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0][real].mean()
    assert loss == pytest.approx(expected, rel=1e-4)
    metric = MaskedTagAccuracy()
    metric.update_state(targets, logits)
    hits = (logits.argmax(-1) == targets)[real].mean()
    assert float(metric.result()) == pytest.approx(hits)


def test_a_few_steps_of_training_lower_the_loss():
    config = AMNNConfig(**TINY)
    posts = EncodedPosts([[3, 4], [5], [6, 7, 8]] * 4, np.array([0, 1, 2] * 4, "int32"),
                         [[5, 6, EOS], [7, EOS], [9, 10, 11, EOS]] * 4)
    features = RNG.normal(size=(3, 49, 16)).astype("float16")
    data = make_dataset(posts, features, batch_size=4, shuffle=True, seed=0)
    model = compile_model(build_amnn(config, SIZES), 1e-2)
    history = model.fit(data, epochs=15, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


def _decoder(config, vocab=SIZES.tag_vocab_size):
    sizes = ModelSizes(SIZES.word_vocab_size, vocab, SIZES.feature_shape)
    model = build_amnn(config, sizes)
    return BatchDecoder(AMNNNetwork.from_model(model, config), vocab), model


def test_batched_greedy_equals_the_one_post_at_a_time_reference():
    config = AMNNConfig(**TINY)
    decoder, model = _decoder(config)
    inputs = _inputs(config)
    ids = decoder.decode({k: v for k, v in inputs.items() if k != "tag_inputs"}, top_k=4,
                         min_tags=2)
    reference = reference_greedy(model, inputs, top_k=4, min_tags=2)
    for row, expected in zip(ids.tolist(), reference):
        assert row[:len(expected)] == expected
        assert all(token == PAD for token in row[len(expected):])


@pytest.mark.parametrize("beam_size", [1, 3])
def test_decoders_never_repeat_and_never_emit_special_ids(beam_size):
    config = AMNNConfig(**TINY)
    decoder, _ = _decoder(config)
    inputs = {k: v for k, v in _inputs(config).items() if k != "tag_inputs"}
    ids = decoder.decode(inputs, top_k=6, min_tags=6, beam_size=beam_size)
    assert ids.shape == (3, 6)
    for row in ids.tolist():
        assert len(set(row)) == 6 and not {PAD, BOS, UNK, EOS} & set(row)


def test_beam_search_finds_a_sequence_at_least_as_likely_as_greedy():
    config = AMNNConfig(**TINY)
    decoder, model = _decoder(config)
    decoder.length_penalty = 0.0  # compare raw sequence log-probabilities
    inputs = _inputs(config)
    encoded = {k: v for k, v in inputs.items() if k != "tag_inputs"}

    def log_prob(row, ids):
        sequence = [BOS] + ids
        one = {k: v[row:row + 1] for k, v in encoded.items()}
        one["tag_inputs"] = np.array([sequence[:-1]], "int32")
        one["image_index"] = np.zeros(1, "int32")  # the one post's photo is row 0
        logits = model.predict(one, verbose=0)[0]
        logits = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        return sum(logits[i, t] for i, t in enumerate(sequence[1:]))

    greedy = decoder.decode(encoded, top_k=3, min_tags=3)
    beam = decoder.decode(encoded, top_k=3, min_tags=3, beam_size=4)
    first = np.asarray(model.predict(dict(encoded, tag_inputs=np.full((3, 1), BOS, "int32")),
                                     verbose=0))[:, 0]
    for row in range(3):
        # The beam's set, in the order it was generated (one of its permutations), is at
        # least as likely as greedy's; the list itself leads with the surest first tag.
        best = max(log_prob(row, list(order)) for order in itertools.permutations(beam[row]))
        assert best >= log_prob(row, greedy[row].tolist()) - 1e-4
        assert list(first[row, beam[row]]) == sorted(first[row, beam[row]], reverse=True)


def test_tiny_vocabulary_does_not_force_impossible_tags():
    config = AMNNConfig(**TINY)
    decoder, _ = _decoder(config, vocab=6)  # two real tags
    inputs = {k: v for k, v in _inputs(config).items() if k != "tag_inputs"}
    ids = decoder.decode(inputs, top_k=5, min_tags=5)
    vocab = HashtagVocabulary(["t4", "t5"], [2, 2])  # ids 4 and 5, after the reserved ones
    for row in ids:
        assert sorted(vocab.decode(row)) == ["t4", "t5"]


def test_pad_ids_and_pipeline_handle_empty_captions():
    assert pad_ids([[], []]).shape == (2, 1)
    posts = EncodedPosts([[], []], None, [[5, EOS], [6, EOS]])
    inputs, _ = next(iter(make_dataset(posts, None, batch_size=2)))
    assert tuple(inputs["text_ids"].shape) == (2, 1)
    assert tf.reduce_all(inputs["text_ids"] == 0)


def test_rank_mode_orders_tags_by_the_first_step_probabilities():
    config = AMNNConfig(**TINY)
    decoder, model = _decoder(config)
    inputs = _inputs(config)
    encoded = {k: v for k, v in inputs.items() if k != "tag_inputs"}
    ids = decoder.decode(encoded, top_k=4, rank=True)
    first = {**encoded, "tag_inputs": np.full((3, 1), BOS, "int32")}
    logits = model.predict(first, verbose=0)[:, 0]
    logits[:, [PAD, BOS, EOS, UNK]] = -np.inf
    np.testing.assert_array_equal(ids, np.argsort(-logits, axis=1)[:, :4])


def test_projecting_each_distinct_photo_once_gives_the_same_step():
    # Five posts share three photos. One batch from the pipeline in each form, through
    # two training models that share every layer: same logits, loss and gradients.
    config = AMNNConfig(**TINY)
    network = AMNNNetwork.create(config, SIZES)
    models = {flag: compile_model(network.training_model(SIZES, photo_index=flag), 1e-2)
              for flag in (True, False)}
    posts = EncodedPosts([[3, 4], [5], [6, 7, 8], [9], [3]], np.array([0, 1, 0, 2, 1], "int32"),
                         [[5, 6, EOS], [7, EOS], [9, 10, 11, EOS], [5, EOS], [6, EOS]])
    features = RNG.normal(size=(3, 49, 16)).astype("float16")
    results = {}
    for flag, model in models.items():
        inputs, targets = next(iter(make_dataset(posts, features, 5, photo_index=flag)))
        assert inputs["image_regions"].shape[0] == (3 if flag else 5)
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = model.compute_loss(inputs, targets, logits)
        weights = model.trainable_weights  # the same variables, listed in another order
        gradients = tape.gradient(loss, weights)
        results[flag] = (logits, loss, {w.path: g for w, g in zip(weights, gradients)})
    np.testing.assert_allclose(results[True][0], results[False][0], atol=1e-6)
    np.testing.assert_allclose(results[True][1], results[False][1], atol=1e-6)
    assert results[True][2].keys() == results[False][2].keys()
    for path, gradient in results[True][2].items():  # embeddings' are IndexedSlices
        np.testing.assert_allclose(tf.convert_to_tensor(gradient),
                                   tf.convert_to_tensor(results[False][2][path]), atol=1e-5)
