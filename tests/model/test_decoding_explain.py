"""BatchDecoder's explaining mode: the same ids, each tag's probability, attention weights."""

import keras
import numpy as np
import pytest

from amnn.data.vocabulary import PAD
from amnn.model.decoding import BatchDecoder
from amnn.model.neighbours import NeighbourMemory, pad_tag_rows
from amnn.model.network import AMNNNetwork, build_amnn
from tests.model.test_given_tags import GIVEN, INPUTS, SIZES, TEXT, TINY


@pytest.fixture(scope="module")
def decoders():
    keras.utils.set_random_seed(7)
    network = AMNNNetwork.from_model(build_amnn(TINY, SIZES), TINY)
    memory = NeighbourMemory(np.random.default_rng(0).normal(size=(4, 12)),
                             pad_tag_rows([[4, 5], [6], [7, 4], [9]]), SIZES.tag_vocab_size,
                             neighbors=2, weight=0.5)
    return {"off": BatchDecoder(network, SIZES.tag_vocab_size),
            "on": BatchDecoder(network, SIZES.tag_vocab_size, neighbours=memory)}


@pytest.mark.parametrize("memory", ["off", "on"])
@pytest.mark.parametrize("options", [{"rank": True}, {"min_tags": 5}, {"min_tags": 0}],
                         ids=["rank", "greedy", "greedy-may-stop"])
@pytest.mark.parametrize("given", [None, GIVEN], ids=["plain", "given"])
def test_explained_ids_are_the_decoded_ids(decoders, memory, options, given):
    decoder = decoders[memory]
    ids = decoder.decode(INPUTS, top_k=5, given=given, **options)
    why = decoder.decode(INPUTS, top_k=5, given=given, explain=True, **options)
    np.testing.assert_array_equal(why.ids, ids)
    assert why.shared_step == bool(options.get("rank"))
    assert why.region_weights.shape == (3, 5, 49)
    assert why.word_weights.shape == (3, 5, TEXT.shape[1])
    real = why.ids != PAD
    assert np.all((why.probabilities[real] > 0) & (why.probabilities[real] <= 1))
    assert np.all(why.probabilities[~real] == 0)


def test_weights_sum_to_one_and_padding_words_get_none(decoders):
    why = decoders["on"].decode(INPUTS, top_k=4, min_tags=4, explain=True)
    np.testing.assert_allclose(why.region_weights.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(why.word_weights.sum(-1), 1.0, atol=1e-5)
    padding = np.broadcast_to((TEXT == 0)[:, None, :], why.word_weights.shape)
    assert np.all(why.word_weights[padding] == 0.0)
    assert np.all(why.word_weights[~padding] > 0.0)


def test_rank_shares_one_step_and_greedy_steps_differ(decoders):
    ranked = decoders["off"].decode(INPUTS, top_k=4, rank=True, explain=True)
    np.testing.assert_array_equal(ranked.region_weights[:, 1:],
                                  np.repeat(ranked.region_weights[:, :1], 3, axis=1))
    greedy = decoders["off"].decode(INPUTS, top_k=4, min_tags=4, explain=True)
    # The first greedy step is the ranking's step; later steps attend anew.
    np.testing.assert_allclose(greedy.region_weights[:, 0], ranked.region_weights[:, 0],
                               atol=1e-6)
    assert not np.allclose(greedy.region_weights[:, 1], greedy.region_weights[:, 0])
    # Ranked probabilities come from one distribution: they fall along the list.
    assert np.all(np.diff(ranked.probabilities, axis=1) <= 1e-7)


def test_probabilities_are_the_mixed_distribution_of_the_choosing_step(decoders):
    decoder = decoders["on"]
    why = decoder.decode(INPUTS, top_k=3, rank=True, explain=True)
    memory, state = decoder.network.encode(INPUTS["text_ids"], INPUTS["image_regions"])
    logits, _ = decoder.network.decode(np.full((3, 1), 1, "int32"), state, memory)  # BOS
    mixed = np.exp(decoder.neighbours.mix(logits[:, 0], decoder.neighbours.vote(
        state, INPUTS["text_ids"])).numpy())
    np.testing.assert_allclose(why.probabilities,
                               np.take_along_axis(mixed, why.ids, axis=1), rtol=1e-4)


def test_beam_search_is_refused(decoders):
    with pytest.raises(ValueError, match="beam"):
        decoders["off"].decode(INPUTS, top_k=3, beam_size=2, explain=True)


def test_a_text_only_network_explains_words_alone():
    keras.utils.set_random_seed(2)
    config = TINY.replace(include_image=False)
    decoder = BatchDecoder(AMNNNetwork.from_model(build_amnn(config, SIZES), config),
                           SIZES.tag_vocab_size)
    why = decoder.decode({"text_ids": TEXT}, top_k=3, rank=True, explain=True)
    assert why.region_weights is None and why.word_weights.shape == (3, 3, 4)
