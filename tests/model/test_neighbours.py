"""The neighbour memory: its vote, its mix with the decoder, its file, and decoding with it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from amnn.config import AMNNConfig  # noqa: E402
from amnn.inputs.encoding import EncodedPosts  # noqa: E402
from amnn.model.decoding import BatchDecoder  # noqa: E402
from amnn.model.neighbours import (  # noqa: E402
    NeighbourMemory,
    build_neighbour_memory,
    encode_for_memory,
    pad_tag_rows,
)
from amnn.model.network import AMNNNetwork, ModelSizes, build_amnn  # noqa: E402

TINY = dict(word_embedding_dim=8, text_units=8, attention_units=8, region_units=8,
            lexical_units=8, tag_embedding_dim=8, decoder_units=12, dropout=0.0)
SIZES = ModelSizes(word_vocab_size=30, tag_vocab_size=14, feature_shape=(49, 16))


def _memory(**settings):
    keys = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    tags = pad_tag_rows([[4, 5], [6], [4], [7]])
    options = dict(tag_vocab_size=8, neighbors=2, weight=0.5) | settings
    return NeighbourMemory(keys, tags, **options)


def test_vote_weighs_each_neighbours_tags_by_its_similarity():
    vote = _memory().vote(np.array([[2.0, 0.0]])).numpy()[0]
    # nearest: key 0 (cosine 1) with tags 4, 5 and key 2 (cosine .707) with tag 4
    near = 1 / np.sqrt(2)
    expected = np.zeros(8)
    expected[4], expected[5] = 1 + near, 1.0
    np.testing.assert_allclose(vote, expected / expected.sum(), atol=1e-6)
    assert vote[0] == 0.0  # the padding slot of key 2's row never votes


def test_a_dissimilar_neighbour_gets_no_vote():
    vote = _memory(neighbors=4).vote(np.array([[1.0, 0.0]])).numpy()[0]
    assert vote[7] == 0.0  # key 3 points the other way: cosine -1, clipped to 0
    assert vote.sum() == pytest.approx(1.0)


def _marks(*tag_ids, size=8):
    marks = np.zeros((1, size), bool)
    marks[0, list(tag_ids)] = True
    return tf.constant(marks)


def test_with_given_tags_only_the_posts_carrying_one_vote():
    query = np.array([[0.5, 1.0]])  # nearest: key 2 (tag 4), key 1 (tag 6), then key 0
    plain = _memory().vote(query).numpy()[0]
    assert plain[6] > 0 and plain[5] == 0.0
    # Given tag 5: key 0 is the only training post carrying it, so it alone votes (for 4
    # and 5; 5 is banned later by the decoder), although keys 1 and 2 are nearer.
    given = _memory().vote(query, given=_marks(5)).numpy()[0]
    assert given[6] == 0.0 and given[4] > 0 and given[5] > 0
    assert given.sum() == pytest.approx(1.0)


def test_a_given_tag_no_training_post_carries_leaves_the_plain_vote():
    query = np.array([[0.0, 1.0]])
    np.testing.assert_allclose(_memory().vote(query, given=_marks(3)).numpy(),
                               _memory().vote(query).numpy(), atol=1e-6)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_mix_is_the_weighted_sum_of_both_distributions(weight):
    memory = _memory(weight=weight)
    logits = tf.constant(np.random.default_rng(0).normal(size=(1, 8)), tf.float32)
    vote = memory.vote(np.array([[0.0, 3.0]]))
    mixed = np.exp(memory.mix(logits, vote).numpy())
    expected = (1 - weight) * tf.nn.softmax(logits).numpy() + weight * vote.numpy()
    np.testing.assert_allclose(mixed, expected, atol=1e-6)


def test_file_round_trip_without_pickle_and_overrides(tmp_path):
    memory = _memory()
    memory.save(tmp_path / "n.npz")
    loaded = NeighbourMemory.load(tmp_path / "n.npz")
    np.testing.assert_array_equal(loaded.tags, memory.tags)
    np.testing.assert_allclose(loaded.keys, memory.keys, atol=1e-3)  # stored as float16
    assert (loaded.neighbors, loaded.weight) == (2, 0.5)
    changed = NeighbourMemory.load(tmp_path / "n.npz", neighbors=3, weight=0.9)
    assert (changed.neighbors, changed.weight) == (3, 0.9)
    with np.load(tmp_path / "n.npz", allow_pickle=False) as arrays:
        assert arrays["keys"].dtype == np.float16


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="weight"):
        _memory(weight=1.5)
    with pytest.raises(ValueError, match="one tag row per key"):
        NeighbourMemory(np.eye(2), pad_tag_rows([[4]]), 8, 1, 0.5)


def _posts_and_network(config):
    rng = np.random.default_rng(3)
    posts = EncodedPosts([[3, 4, 5], [6, 7], [8, 9, 10, 11], [3, 12]],
                         np.array([0, 1, 2, 0], "int32"),
                         [[5, 6, 2], [7, 2], [8, 9, 2], [10, 2]])
    features = rng.normal(size=(3, 49, 16)).astype("float16")
    network = AMNNNetwork.from_model(build_amnn(config, SIZES), config)
    return posts, features, network


def test_memory_keys_are_the_networks_first_decoder_states():
    config = AMNNConfig(**TINY)
    posts, features, network = _posts_and_network(config)
    keys = encode_for_memory(network, posts, features, batch_size=3)  # two batches
    _, state = network.encode(np.array([[3, 4, 5]], "int32"), features[[0]])
    np.testing.assert_allclose(keys[0], np.asarray(state)[0], atol=1e-5)
    memory = build_neighbour_memory(network, posts, features, SIZES.tag_vocab_size, 2, 0.5)
    assert memory.tags.tolist() == [[5, 6], [7, 0], [8, 9], [10, 0]]  # EOS left out


def test_decoding_with_the_memory_at_full_weight_recommends_the_neighbours_tags():
    config = AMNNConfig(**TINY)
    posts, features, network = _posts_and_network(config)
    inputs = {"text_ids": np.array([[3, 4, 5]], "int32"), "image_regions": features[[0]]}
    memory = build_neighbour_memory(network, posts, features, SIZES.tag_vocab_size,
                                    neighbors=1, weight=1.0)
    ranked = BatchDecoder(network, SIZES.tag_vocab_size, neighbours=memory).decode(
        inputs, top_k=2, rank=True)
    # The post is training post 0 itself: its own tags are all the vote holds.
    assert sorted(ranked[0].tolist()) == [5, 6]
    greedy = BatchDecoder(network, SIZES.tag_vocab_size, neighbours=memory).decode(
        inputs, top_k=2, min_tags=2)
    assert sorted(greedy[0].tolist()) == [5, 6]
    silent = memory.with_settings(weight=0.0)
    plain = BatchDecoder(network, SIZES.tag_vocab_size).decode(inputs, top_k=4, rank=True)
    mixed = BatchDecoder(network, SIZES.tag_vocab_size, neighbours=silent).decode(
        inputs, top_k=4, rank=True)
    np.testing.assert_array_equal(plain, mixed)


def test_word_bags_match_scikit_learns_sublinear_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from amnn.model.word_bags import WordBags

    rng = np.random.default_rng(5)
    captions = [rng.integers(2, 40, size=rng.integers(1, 12)).tolist() for _ in range(30)]
    captions[3] = []  # an empty caption has no vector and no similarity
    bags = WordBags.fit(captions, vocab_size=40)
    reference = TfidfVectorizer(sublinear_tf=True, analyzer=lambda ids: ids, lowercase=False,
                                vocabulary=range(40)).fit(captions)
    expected = reference.transform(captions) @ reference.transform(captions[:5]).T
    queries = tf.constant(np.array([c + [0] * (12 - len(c)) for c in captions[:5]]))
    np.testing.assert_allclose(bags.similarity(queries).numpy(), expected.T.toarray(),
                               atol=1e-5)


def test_text_share_mixes_the_word_and_the_encoding_votes(tmp_path):
    from amnn.model.word_bags import WordBags

    words = WordBags.fit([[2, 3], [4], [5], [6]], vocab_size=8)
    base = _memory()
    memory = NeighbourMemory(base.keys, base.tags, 8, 1, 1.0, words, text_share=0.75)
    query, text_ids = np.array([[1.0, 0.0]]), tf.constant([[4, 0]])
    # The words find key 1 (tag 6), the encoding key 0 (tags 4 and 5): each view votes
    # alone, then the votes are mixed by their shares.
    vote = memory.vote(query, text_ids).numpy()[0]
    np.testing.assert_allclose(vote[[4, 5, 6]], [0.125, 0.125, 0.75], atol=1e-6)
    memory.save(tmp_path / "n.npz")
    loaded = NeighbourMemory.load(tmp_path / "n.npz")
    assert loaded.text_share == 0.75
    np.testing.assert_allclose(loaded.vote(query, text_ids).numpy(), [vote], atol=1e-3)


def test_photos_vote_once_each_with_their_posts_tag_shares(tmp_path):
    from amnn.model.photo_keys import PhotoKeys

    regions = np.zeros((3, 4, 2), np.float32)
    regions[0, :, 0], regions[1, :, 1], regions[2, :, :] = 1.0, 1.0, 1.0
    # Posts 1 and 2 share photo 1 (tags 6 and 4); post 0 has photo 0, post 3 photo 2.
    photos = PhotoKeys.from_features(regions, np.array([0, 1, 1, 2]))
    base = _memory()
    memory = NeighbourMemory(base.keys, base.tags, 8, 1, 1.0, photos=photos, photo_share=1.0)
    query = regions[[1]]  # the photo of posts 1 and 2; its encoding points at post 0
    vote = memory.vote(np.array([[1.0, 0.0]]), image_regions=query).numpy()[0]
    np.testing.assert_allclose(vote[[4, 5, 6, 7]], [0.5, 0.0, 0.5, 0.0], atol=1e-6)
    two = memory.with_settings(neighbors=2).vote(np.array([[1.0, 0.0]]),
                                                 image_regions=query).numpy()[0]
    # Photo 2 (cosine 0.71, tag 7) is the second nearest photo: its one post counts as much
    # as photo 1's two posts together.
    assert two[7] == pytest.approx(1 / np.sqrt(2) / (1 + 1 / np.sqrt(2)), abs=1e-5)
    weights, rows = memory.voters(np.array([[1.0, 0.0]]), image_regions=query)
    assert rows.numpy().tolist() == [[1]]  # photo 1 is shown by its first post
    memory.save(tmp_path / "n.npz")
    loaded = NeighbourMemory.load(tmp_path / "n.npz")
    assert (loaded.photo_share, loaded.encoding_share) == (1.0, 0.0)
    np.testing.assert_allclose(
        loaded.vote(np.array([[1.0, 0.0]]), image_regions=query).numpy()[0], vote, atol=1e-3)


def test_a_post_without_its_photo_is_similar_to_no_photo():
    from amnn.model.photo_keys import PhotoKeys

    photos = PhotoKeys.from_features(np.ones((1, 4, 2), np.float32), np.array([0, 0]))
    blank = np.zeros((1, 4, 2), np.float32)  # a "text-only" post's blank feature row
    np.testing.assert_array_equal(photos.similarity(blank).numpy(), [[0.0]])


def test_shares_that_would_sum_above_one_are_refused_or_fitted():
    from amnn.model.photo_keys import PhotoKeys
    from amnn.model.word_bags import WordBags

    base = _memory()
    words = WordBags.fit([[2], [3], [4], [5]], vocab_size=8)
    photos = PhotoKeys.from_features(np.ones((1, 4, 2), np.float32), np.zeros(4, int))
    with pytest.raises(ValueError, match="sum of at most 1"):
        NeighbourMemory(base.keys, base.tags, 8, 2, 1.0, words, 0.75, photos, 0.5)
    memory = NeighbourMemory(base.keys, base.tags, 8, 2, 1.0, words, 0.5, photos, 0.25)
    # The share a user names wins; the other gives way, the encoding gets the rest.
    changed = memory.with_settings(photo_share=0.75)
    assert (changed.text_share, changed.photo_share) == (0.25, 0.75)
    assert memory.with_settings(text_share=0.2).settings()["photo_share"] == 0.25
