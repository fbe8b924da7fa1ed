"""The caption network: training graph vs step-by-step decoding, save/load, the writer."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.config import AMNNConfig  # noqa: E402
from amnn.data.text import TextVectorizer  # noqa: E402
from amnn.data.text.tokenizers import WordTokenizer  # noqa: E402
from amnn.inputs.caption_encoding import CaptionIds, CaptionPosts  # noqa: E402
from amnn.inputs.caption_pipeline import caption_dataset  # noqa: E402
from amnn.model.caption_decoding import CaptionWriter, _banned_by_repeat  # noqa: E402
from amnn.model.caption_network import CaptionNetwork, CaptionSizes  # noqa: E402
from amnn.train.fitting import compile_model  # noqa: E402

TINY = dict(task="caption", word_embedding_dim=8, attention_units=8, region_units=8,
            tag_embedding_dim=8, decoder_units=12, dropout=0.0)
WORDS = ["storm", "hits", "nyc", "flood", "boston", "marathon", "rain", "today"]
IDS = CaptionIds(TextVectorizer(WordTokenizer(), min_count=1, words=WORDS))
SIZES = CaptionSizes(word_ids=IDS.size, tag_vocab_size=9, feature_shape=(49, 16))
RNG = np.random.default_rng(3)


def _inputs(config, batch=3):
    inputs = {"caption_inputs": np.array([[IDS.bos, 2, 3, 4], [IDS.bos, 5, 0, 0],
                                          [IDS.bos, 6, 7, 8]][:batch], "int32")}
    if config.include_image:
        inputs["image_regions"] = RNG.normal(size=(batch, 49, 16)).astype("float16")
    if config.caption_from_hashtags:
        # The second post has no known hashtag: its tag context must still be finite.
        inputs["tag_ids"] = np.array([[4, 5], [0, 0], [6, 0]][:batch], "int32")
    return inputs


@pytest.mark.parametrize("branches", [dict(), dict(include_image=False),
                                      dict(caption_from_hashtags=False)])
def test_training_graph_equals_step_by_step_decoding(branches):
    config = AMNNConfig(**TINY, **branches)
    network = CaptionNetwork.create(config, SIZES)
    model = network.training_model(SIZES)
    inputs = _inputs(config)
    teacher_forced = model.predict(inputs, verbose=0)
    assert teacher_forced.shape == (3, 4, IDS.size)
    assert np.all(np.isfinite(teacher_forced))
    memory, state = network.encode(inputs.get("tag_ids"), inputs.get("image_regions"))
    for step in range(2):  # no padding in the first two steps of any row
        logits, state = network.decode(inputs["caption_inputs"][:, step:step + 1], state,
                                       memory)
        np.testing.assert_allclose(logits[:, 0], teacher_forced[:, step], atol=1e-4)


def test_a_model_without_photo_and_hashtags_is_refused():
    with pytest.raises(ValueError, match="photo or the hashtags"):
        AMNNConfig(task="caption", include_image=False, caption_from_hashtags=False)


def test_learns_to_write_each_posts_caption_and_stops(tmp_path):
    """Three posts told apart by their hashtags: the writer must give back each caption."""
    config = AMNNConfig(**TINY, include_image=False)
    network = CaptionNetwork.create(config, SIZES)
    model = compile_model(network.training_model(SIZES), 2e-2)
    captions = ["storm hits nyc", "boston marathon", "rain today today"]
    posts = CaptionPosts([[4], [5], [6]], None, [IDS.target(text) for text in captions])
    model.fit(caption_dataset(posts, None, 3, IDS.bos).repeat(200), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras", compile=False, safe_mode=True)
    writer = CaptionWriter(CaptionNetwork.from_model(reloaded, config), IDS)
    inputs = {"tag_ids": np.array([[4], [5], [6]], "int32")}
    for beam in (1, 3):
        written = [IDS.text(ids) for ids in writer.write(inputs, max_words=10, beam_size=beam)]
        assert written == captions


def test_writer_respects_the_length_limit_and_never_writes_reserved_ids():
    config = AMNNConfig(**TINY)
    network = CaptionNetwork.create(config, SIZES)  # untrained: any word may come
    writer = CaptionWriter(network, IDS)
    inputs = _inputs(config)
    inputs.pop("caption_inputs")
    for beam in (1, 4):
        for ids in writer.write(inputs, max_words=5, beam_size=beam):
            assert len(ids) <= 5
            assert not set(ids) & {0, 1, IDS.bos, IDS.eos}


def test_no_three_words_are_repeated():
    assert _banned_by_repeat([5, 6, 7, 5, 6]) == [7]
    assert _banned_by_repeat([5, 6]) == []
    assert _banned_by_repeat([5, 5, 5]) == [5]
