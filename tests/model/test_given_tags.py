"""Completing tags a user started: BatchDecoder primed with given tags (tiny untrained model)."""

import keras
import numpy as np
import pytest

from amnn.config import AMNNConfig
from amnn.data.vocabulary import BOS, EOS, PAD, UNK
from amnn.model.decoding import BatchDecoder
from amnn.model.neighbours import NeighbourMemory, pad_tag_rows
from amnn.model.network import AMNNNetwork, ModelSizes, build_amnn

TINY = AMNNConfig(word_embedding_dim=8, text_units=8, attention_units=8, region_units=8,
                  tag_embedding_dim=8, decoder_units=12, dropout=0.0, lexical_units=8)
SIZES = ModelSizes(word_vocab_size=30, tag_vocab_size=14, feature_shape=(49, 16))
TEXT = np.array([[3, 4, 5, 0], [6, 7, 8, 9], [3, 9, 0, 0]], "int32")
REGIONS = np.random.default_rng(1).normal(size=(3, 49, 16)).astype("float16")
INPUTS = {"text_ids": TEXT, "image_regions": REGIONS}
GIVEN = [[5, 6], [], [9, 7, 8]]  # mixed: two tags, none, three
SPECIAL = {PAD, BOS, EOS, UNK}


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(3)
    model = build_amnn(TINY, SIZES, photo_index=False)  # one photo per post, as INPUTS
    return model, BatchDecoder(AMNNNetwork.from_model(model, TINY), SIZES.tag_vocab_size)


def _row(i):
    return {name: value[i:i + 1] for name, value in INPUTS.items()}


def _next_step_logits(model, row, given):
    """The training graph's logits for the tag after BOS + given (teacher forcing)."""
    tags = np.array([[BOS] + given], "int32")
    return model.predict(dict(_row(row), tag_inputs=tags), verbose=0)[0, -1]


def test_rank_ranks_the_teacher_forced_next_tag_and_priming_changes_it(tiny):
    model, decoder = tiny
    ranked = decoder.decode(INPUTS, top_k=4, rank=True, given=GIVEN)
    plain = decoder.decode(INPUTS, top_k=4, rank=True)
    for row, given in enumerate(GIVEN):
        logits = _next_step_logits(model, row, given)
        logits[list(SPECIAL) + given] = -np.inf
        np.testing.assert_array_equal(ranked[row], np.argsort(-logits)[:4])
    # Primed rows are ranked from another state than the unprimed first step.
    assert not np.array_equal(ranked[[0, 2]], plain[[0, 2]])
    np.testing.assert_array_equal(ranked[1], plain[1])


@pytest.mark.parametrize("options", [{"rank": True}, {}, {"beam_size": 3}],
                         ids=["rank", "greedy", "beam"])
def test_mixed_batch_decodes_each_row_as_alone_and_never_repeats_a_given_tag(tiny, options):
    _, decoder = tiny
    together = decoder.decode(INPUTS, top_k=5, min_tags=5, given=GIVEN, **options)
    for row, given in enumerate(GIVEN):
        alone = decoder.decode(_row(row), top_k=5, min_tags=5, given=[given], **options)
        np.testing.assert_array_equal(together[row], alone[0])
        assert not set(together[row]) & (set(given) | SPECIAL)
        assert len(set(together[row])) == 5


def test_greedy_starts_with_the_ranked_best_next_tag(tiny):
    _, decoder = tiny
    greedy = decoder.decode(INPUTS, top_k=3, min_tags=3, given=GIVEN)
    ranked = decoder.decode(INPUTS, top_k=3, rank=True, given=GIVEN)
    np.testing.assert_array_equal(greedy[:, 0], ranked[:, 0])


@pytest.mark.parametrize("options", [{"rank": True}, {}, {"beam_size": 2}],
                         ids=["rank", "greedy", "beam"])
def test_given_tags_stay_out_when_the_vocabulary_runs_out_with_the_memory_on(options):
    keras.utils.set_random_seed(4)
    sizes = ModelSizes(30, 8, (49, 16))  # four real tags: 4..7
    network = AMNNNetwork.from_model(build_amnn(TINY, sizes), TINY)
    memory = NeighbourMemory(np.random.default_rng(0).normal(size=(3, 12)),
                             pad_tag_rows([[4, 5], [6], [7, 4]]), 8, neighbors=2, weight=0.5)
    decoder = BatchDecoder(network, 8, neighbours=memory)
    given = [[4, 5, UNK], [], [7]]  # UNK stands for a given tag the vocabulary lacks
    ids = decoder.decode(INPUTS, top_k=5, min_tags=5, given=given, **options)
    for row, tags in zip(ids.tolist(), given):
        real = [t for t in row if t > UNK]
        assert not set(real) & set(tags) and len(real) == len(set(real))
        assert set(real) <= {4, 5, 6, 7} and len(real) == 4 - len(set(tags) - {UNK})


def test_given_ids_outside_the_vocabulary_are_refused(tiny):
    _, decoder = tiny
    with pytest.raises(ValueError, match="outside"):
        decoder.decode(INPUTS, top_k=2, given=[[5], [99], []])
    with pytest.raises(ValueError, match="one row"):
        decoder.decode(INPUTS, top_k=2, given=[[5]])
