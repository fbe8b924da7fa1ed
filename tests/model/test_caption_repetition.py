"""Content words are written once: the function-word rule, the decoders, the measure."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.config import AMNNConfig  # noqa: E402
from amnn.data.text import TextVectorizer  # noqa: E402
from amnn.data.text.tokenizers import WordTokenizer  # noqa: E402
from amnn.inputs.caption_repetition import (  # noqa: E402
    find_function_words,
    repeats_a_content_word,
    repeats_a_word_in_a_row,
)
from amnn.inputs.caption_encoding import CaptionIds, CaptionVectorizer  # noqa: E402
from amnn.model.caption_decoding import CaptionWriter  # noqa: E402
from amnn.model.caption_network import CaptionNetwork, CaptionSizes  # noqa: E402

TINY = dict(task="caption", word_embedding_dim=8, attention_units=8, region_units=8,
            tag_embedding_dim=8, decoder_units=12, dropout=0.0, include_image=False)
WORDS = ["storm", "the", "hits", "nyc", "flood"]
# The logits' bias alone decides: "storm" first, then "the", ...; the end token last.
PREFERENCE = {"storm": 10.0, "the": 9.0, "hits": 8.0, "nyc": 7.0, "flood": 6.0}


def _writer(function_words):
    vectorizer = CaptionVectorizer(WordTokenizer(), min_count=1, words=WORDS,
                                   function_words=function_words)
    ids = CaptionIds(vectorizer)
    config = AMNNConfig(**TINY)
    network = CaptionNetwork.create(config, CaptionSizes(ids.size, 6, (49, 16)))
    network.training_model(CaptionSizes(ids.size, 6, (49, 16)))  # builds the layers
    logits = network.layers["word_logits"]
    kernel, bias = logits.get_weights()
    bias[:] = -50.0
    for word, value in PREFERENCE.items():
        bias[WORDS.index(word) + 2] = value
    logits.set_weights([np.zeros_like(kernel), bias])
    return CaptionWriter(network, ids), ids


@pytest.mark.parametrize("beam", [1, 3])
def test_decoders_never_write_a_content_word_twice(beam):
    writer, ids = _writer(["the"])
    inputs = {"tag_ids": np.array([[4, 5], [3, 0]], "int32")}
    for caption in writer.write(inputs, max_words=12, beam_size=beam):
        words = ids.text(caption).split()
        assert not repeats_a_content_word(words, ["the"]), words
        assert not repeats_a_word_in_a_row(words), words
        assert words.count("the") >= 2  # a function word may repeat
        if beam == 1:  # the preferred word banned, the next ones come
            assert set(words) == set(WORDS)


def test_without_function_words_the_old_behaviour_stays():
    """A model saved before the rule (no function words) decodes as it did: no ban."""
    writer, ids = _writer(None)
    caption = ids.text(writer.write({"tag_ids": np.array([[4]], "int32")}, max_words=6)[0])
    assert caption.split()[:2] == ["storm", "storm"]
    assert not ids.content.any()


def test_repeats_a_content_word_in_english_spanish_and_korean():
    assert repeats_a_content_word("this is this is you are".split(), ["is", "are", "you"])
    assert not repeats_a_content_word("the storm hits the city".split(), ["the"])
    assert repeats_a_content_word("la imagen de la selva de ny que ser de ny".split(),
                                  ["la", "de", "que"])
    assert repeats_a_content_word("제주 카페 너무 좋아요 제주".split(), ["너무"])
    assert not repeats_a_content_word("제주 카페 에서 너무 너무 좋아요".split(), ["너무"])
    assert not repeats_a_content_word([], [])


def test_function_words_english_spanish_korean():
    tokenize = WordTokenizer().tokenize
    english = [tokenize(t) for t in ["The storm hits the city", "A flood in the subway",
                                     "Sandy hits NYC", "Photo of the storm"]]
    found = find_function_words(english)
    assert {"the", "a", "in", "of"} <= set(found)  # English stop words
    assert not {"storm", "hits", "sandy", "nyc"} & set(found)
    # No list: Korean and Spanish words the authors repeat in enough captions.
    korean = [tokenize("너무 너무 예쁜 카페")] + [tokenize("너무 맛있는 제주 카페")] * 9 + \
        [tokenize("제주 바다")] * 10
    assert find_function_words(korean) == ["너무"]
    spanish = [tokenize("la casa de la playa")] * 3 + [tokenize("la selva")] * 3
    assert find_function_words(spanish) == ["de", "la"]  # "de" is in the English list too


def test_function_words_round_trip_and_old_files_read():
    fitted = CaptionVectorizer(WordTokenizer(), min_count=1).fit(
        ["the storm hits the city", "the flood"])
    assert fitted.function_words == ["the"]
    again = CaptionVectorizer.from_json(fitted.to_json())
    assert again.function_words == ["the"] and again.words == fitted.words
    ids = CaptionIds(again)
    assert not ids.content[again.encode(["the"])[0][0]]
    assert ids.content[again.encode(["storm"])[0][0]]
    assert not ids.content[[0, 1, ids.bos, ids.eos]].any()
    old = TextVectorizer(WordTokenizer(), min_count=1).fit(["storm storm"]).to_json()
    assert CaptionVectorizer.from_json(old).function_words is None
