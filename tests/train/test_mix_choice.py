"""Choosing each model's mix of network and neighbours' vote on held-out posts."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.config import AMNNConfig  # noqa: E402
from amnn.inputs.encoding import EncodedPosts, input_batches  # noqa: E402
from amnn.model.decoding import BatchDecoder  # noqa: E402
from amnn.model.neighbours import NeighbourMemory, build_neighbour_memory, pad_tag_rows  # noqa: E402
from amnn.model.network import AMNNNetwork, ModelSizes, build_amnn  # noqa: E402
from amnn.train.mix_choice import (  # noqa: E402
    MixChoice,
    choose_mix,
    score_grid,
    share_grid,
    unchosen,
)
from amnn.train.ranking_stop import ranking_objective  # noqa: E402

V = 10  # tag ids 4..9 are real tags


def _memory():
    # Four remembered posts, each with one tag: 4, 5, 6, 7.
    return NeighbourMemory(np.eye(4), pad_tag_rows([[4], [5], [6], [7]]), V, 1, 0.5)


def _one_hot_rows(ids, width):
    rows = np.zeros((len(ids), width), np.float32)
    rows[np.arange(len(ids)), ids] = 1.0
    return rows


def test_the_vote_is_chosen_when_the_network_knows_nothing():
    truths = [[4], [5], [6], [7]]
    flat = np.full((4, V), 1 / V, np.float32)  # the network: every tag alike
    views = {"encoding": _one_hot_rows([0, 1, 2, 3], 4)}  # each post finds its own twin
    candidates = score_grid(flat, views, _memory(), truths, {})
    best = max(candidates, key=lambda c: c["score"])
    assert best["weight"] > 0 and best["score"] == pytest.approx(1.0)


def test_the_network_alone_is_chosen_when_the_vote_misleads():
    truths = [[4], [5], [6], [7]]
    sure = _one_hot_rows([4, 5, 6, 7], V) * 0.9 + 0.01
    views = {"encoding": _one_hot_rows([1, 2, 3, 0], 4)}  # every neighbour is the wrong one
    candidates = score_grid(sure, views, _memory(), truths, {})
    best = max(candidates, key=lambda c: c["score"])  # the first of equals, as choose_mix
    assert best["weight"] == 0.0


def test_fixed_settings_are_kept_and_the_rest_is_varied():
    truths = [[4], [5], [6], [7]]
    flat = np.full((4, V), 1 / V, np.float32)
    views = {"encoding": _one_hot_rows([0, 1, 2, 3], 4), "words": np.eye(4)}
    candidates = score_grid(flat, views, _memory(), truths, {"neighbors": 2, "text_share": 0.5})
    assert {c["neighbors"] for c in candidates} == {2}
    assert {c["text_share"] for c in candidates} == {0.5}
    assert {c["weight"] for c in candidates} >= {0.0, 1.0}


def test_share_grid_never_exceeds_the_whole():
    grid = share_grid(["encoding", "words", "photo"], {})
    assert len(grid) == 15 and all(sum(g.values()) <= 1.0 for g in grid)


def test_without_held_out_posts_the_middle_setting_is_used_and_said():
    choice = unchosen(_memory(), {"weight": 0.2})
    assert choice.weight == 0.2 and choice.posts == 0 and choice.neighbors == 4
    assert choice.line().startswith("mix not chosen (no held-out posts): network .8 + vote .2")


TINY = dict(word_embedding_dim=8, text_units=8, attention_units=8, region_units=8,
            lexical_units=8, tag_embedding_dim=8, decoder_units=12, dropout=0.0)
SIZES = ModelSizes(word_vocab_size=30, tag_vocab_size=14, feature_shape=(4, 6))


def _split(rng, count):
    texts = [rng.integers(2, 30, size=rng.integers(1, 6)).tolist() for _ in range(count)]
    tags = [rng.choice(np.arange(4, 14), size=rng.integers(1, 3), replace=False).tolist()
            + [2] for _ in range(count)]
    return EncodedPosts(texts, rng.integers(0, 5, size=count).astype("int32"), tags)


def test_the_chosen_mix_scores_what_the_decoder_then_recommends():
    """The scorer's numbers are the ranking the compiled decoder gives with that mix."""
    rng = np.random.default_rng(7)
    config = AMNNConfig(**TINY)
    network = AMNNNetwork.from_model(build_amnn(config, SIZES), config)
    features = rng.normal(size=(5, 4, 6)).astype("float32")
    train, held_out = _split(rng, 40), _split(rng, 16)
    memory = build_neighbour_memory(network, train, features, SIZES.tag_vocab_size, 1, 0.0,
                                    SIZES.word_vocab_size)
    choice = choose_mix(memory, network, held_out, features)
    assert isinstance(choice, MixChoice) and choice.posts == 16
    assert choice.mix >= max(choice.network_alone, choice.vote_alone)
    truths = [[t for t in target if t > 3] for target in held_out.targets]

    def decoded(neighbours):
        decoder = BatchDecoder(network, SIZES.tag_vocab_size, neighbours=neighbours)
        return np.concatenate([decoder.decode(inputs, top_k=5, rank=True)
                               for inputs in input_batches(held_out, features, 8)])

    chosen = memory.with_settings(**choice.settings())
    assert ranking_objective(decoded(chosen), truths) == pytest.approx(choice.mix, abs=1e-3)
    assert ranking_objective(decoded(None), truths) == pytest.approx(choice.network_alone,
                                                                     abs=1e-3)
