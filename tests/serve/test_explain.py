"""explain_posts (predict's own decode, explained) and its PNG and index.html."""

import dataclasses
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from amnn.data.text import TextVectorizer, WordTokenizer
from amnn.data.vocabulary import HashtagVocabulary
from amnn.errors import AMNNError
from amnn.model.folder import TrainedAMNN
from amnn.model.neighbours import NeighbourMemory, pad_tag_rows
from amnn.model.network import ModelSizes, build_amnn
from amnn.serve.explain import PostExplanation, explain_posts
from amnn.serve.explain_drawing import draw_explanation
from amnn.serve.explain_page import ExplanationFolder, check_explain_folder
from amnn.serve.predictor import HashtagPredictor
from tests.serve.test_given_predictor import CAPTIONS, GIVEN, TAGS, TINY, _posts

PHOTO = Path(__file__).resolve().parents[2] / "test_dataset" / "images" / "chelsea_face.jpg"


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(6)
    vectorizer = TextVectorizer(WordTokenizer(), min_count=2).fit(CAPTIONS)  # some UNK words
    vocab = HashtagVocabulary.build(TAGS, min_count=1)
    sizes = ModelSizes(vectorizer.vocab_size, len(vocab), (49, 16))
    memory = NeighbourMemory(np.random.default_rng(1).normal(size=(len(TAGS), 12)),
                             pad_tag_rows([[vocab.id(t) for t in row] for row in TAGS]),
                             len(vocab), neighbors=2, weight=0.4)
    return TrainedAMNN(build_amnn(TINY, sizes), TINY.replace(memory=True), vocab, vectorizer,
                       sizes, memory)


@pytest.mark.parametrize("memory", [True, False], ids=["memory", "network"])
@pytest.mark.parametrize("rank", [True, False], ids=["rank", "greedy"])
@pytest.mark.parametrize("given", [None, GIVEN], ids=["plain", "given"])
def test_explained_tags_are_predicts_tags(trained, memory, rank, given):
    predictor = HashtagPredictor(trained, progress=False, memory=memory)
    posts = _posts(given)
    predicted = predictor.predict(posts, top_k=4, rank=rank, batch_size=4)
    explained = explain_posts(predictor, posts, top_k=4, rank=rank, batch_size=4)
    assert [why.tags for why in explained] == predicted
    for why in explained:
        assert why.shared_step == rank and why.region_weights is None
        assert len(why.probabilities) == len(why.tags)
        assert all(0 < p <= 1 for p in why.probabilities)
        assert why.word_weights.shape == (len(why.tags), len(why.words))
        np.testing.assert_allclose(why.word_weights.sum(axis=1), 1.0, atol=1e-5)


def test_words_are_as_written_and_the_unknown_ones_are_marked(trained):
    predictor = HashtagPredictor(trained, progress=False)
    why = explain_posts(predictor, _posts(), top_k=2)
    assert why[0].words == ["sunny", "beach", "day"]  # not "<unk>": the user's own words
    assert why[0].known_words == [False, True, False]  # "beach" is the one seen twice
    assert why[1].words == ["coffee", "in", "the", "morning"] and all(why[1].known_words)


@pytest.mark.parametrize("rank", [True, False], ids=["rank", "greedy"])
def test_each_probability_is_the_network_and_the_vote_in_the_chosen_mix(trained, rank):
    """What an explanation says a tag is made of adds up to what decided it."""
    explained = explain_posts(HashtagPredictor(trained, progress=False), _posts(), top_k=3,
                              rank=rank)
    for why in explained:
        assert why.vote_weight == pytest.approx(0.4) and why.network_decided
        mixed = [(1 - why.vote_weight) * n + why.vote_weight * v for n, v in
                 zip(why.network_probabilities, why.vote_probabilities)]
        np.testing.assert_allclose(mixed, why.probabilities, atol=1e-4)


def test_the_voters_are_remembered_posts_carrying_the_tag(trained):
    posts = {"captions": [f"training post {i}" for i in range(len(TAGS))],
             "photos": [""] * len(TAGS)}
    with_posts = dataclasses.replace(trained, memory_posts=posts)
    explained = explain_posts(HashtagPredictor(with_posts, progress=False), _posts(), top_k=3)
    shown = 0
    for why in explained:
        for tag, voters, vote in zip(why.tags, why.voters, why.vote_probabilities):
            rows = [posts["captions"].index(v.caption) for v in voters]
            assert all(tag in TAGS[row] for row in rows)  # each voter carries the tag
            assert bool(voters) == (vote > 0)  # a tag with a vote has a voter to show
            shown += len(voters)
    assert shown > 0


def test_without_the_networks_share_no_attention_is_drawn(trained, tmp_path):
    vote_only = HashtagPredictor(trained, progress=False, memory_weight=1.0)
    why = explain_posts(vote_only, _posts(), top_k=2)[0]
    assert not why.network_decided
    with_share = explain_posts(HashtagPredictor(trained, progress=False), _posts(), top_k=2)[0]
    small = draw_explanation(why, None, "sunny beach day", tmp_path / "vote.png")
    large = draw_explanation(with_share, None, "sunny beach day", tmp_path / "mix.png")
    # The mix's picture holds the caption words' attention rows; the vote's does not.
    assert Image.open(small).size[1] < Image.open(large).size[1]


def test_a_stopping_greedy_list_keeps_one_probability_per_tag(trained):
    predictor = HashtagPredictor(trained, progress=False)
    explained = explain_posts(predictor, _posts(), top_k=5, rank=False, min_tags=0)
    assert [why.tags for why in explained] == predictor.predict(_posts(), top_k=5, min_tags=0,
                                                                  rank=False)
    assert all(len(why.probabilities) == len(why.tags) == len(why.word_weights)
               for why in explained)


def _explanation(shared, tags=("cat", "meow", "pets")):
    rng = np.random.default_rng(0)
    regions = rng.random((len(tags), 7, 7))
    words = ["close", "up", "of", "the", "<unk>", "whiskers", "on", "point", "today"]
    weights = rng.random((len(tags), len(words)))
    return PostExplanation(list(tags), [0.5, 0.3, 0.1][:len(tags)],
                           regions / regions.sum(axis=(1, 2), keepdims=True), words,
                           weights / weights.sum(1, keepdims=True), shared)


@pytest.mark.parametrize("shared", [True, False])
def test_draw_writes_a_png_over_the_photo(tmp_path, shared):
    out = draw_explanation(_explanation(shared), str(PHOTO), "Close up", tmp_path / "a.png")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width >= 400 and image.height >= 300


def test_hangul_has_a_font_to_be_drawn_with(tmp_path):
    # Matplotlib ships no Hangul; the koreanize-matplotlib dependency brings NanumGothic.
    from matplotlib import font_manager

    from amnn.serve.explain_drawing import _families

    hangul = [name for name in _families() if name in ("NanumGothic", "Noto Sans CJK KR")]
    assert hangul, _families()
    path = font_manager.findfont(font_manager.FontProperties(family=hangul[0]),
                                 fallback_to_default=False)
    from matplotlib.ft2font import FT2Font

    assert FT2Font(path).get_char_index(ord("고")) != 0  # the glyph is there
    korean = dataclasses.replace(_explanation(True), tags=["고양이", "meow", "pets"])
    assert draw_explanation(korean, str(PHOTO), "제주 바다", tmp_path / "k.png").is_file()


def test_draw_text_only_and_skipped_posts(tmp_path):
    text_only = dataclasses.replace(_explanation(False), region_weights=None)
    assert draw_explanation(text_only, None, "words", tmp_path / "t.png").is_file()
    skipped = PostExplanation([], [], None, None, None, True)
    assert draw_explanation(skipped, None, "", tmp_path / "s.png").is_file()


def test_the_folder_is_never_overwritten_silently(tmp_path):
    (tmp_path / "why").mkdir()
    check_explain_folder(tmp_path / "why", overwrite=False)  # empty: fine
    (tmp_path / "why" / "post_0009.png").write_bytes(b"old")
    with pytest.raises(AMNNError, match="--overwrite"):
        check_explain_folder(tmp_path / "why", overwrite=False)
    check_explain_folder(tmp_path / "why", overwrite=True)
    folder = ExplanationFolder(tmp_path / "why", limit=1)
    folder.add(_explanation(True), str(PHOTO), "a <cat> & co")
    assert folder.remaining == 0
    page = folder.finish()[-1].read_text()
    assert not (tmp_path / "why" / "post_0009.png").exists()  # no stale picture listed
    assert 'src="post_0001.png"' in page and "a &lt;cat&gt; &amp; co" in page
    assert sorted(p.name for p in (tmp_path / "why").iterdir()) == ["index.html",
                                                                     "post_0001.png"]


def test_an_unfinished_run_leaves_the_old_explanations_as_they_were(tmp_path):
    why = tmp_path / "why"
    why.mkdir()
    (why / "post_0001.png").write_bytes(b"old picture")
    (why / "index.html").write_text("old page")
    (why / "notes.txt").write_text("the user's own")
    stopped = ExplanationFolder(why, limit=2)
    stopped.add(_explanation(True), str(PHOTO), "drawn, then Ctrl-C")
    assert (why / "post_0001.png").read_bytes() == b"old picture"  # until finish
    stopped.discard()
    assert sorted(p.name for p in why.iterdir()) == ["index.html", "notes.txt", "post_0001.png"]
    assert (why / "index.html").read_text() == "old page"
    killed = ExplanationFolder(why, limit=1)  # SIGKILL: its working folder stays behind
    check_explain_folder(why, overwrite=True)
    finished = ExplanationFolder(why, limit=1)  # ... and the next run removes it
    assert not killed.staging.exists()
    finished.add(_explanation(False), None, "new")
    finished.finish()
    assert sorted(p.name for p in why.iterdir()) == ["index.html", "notes.txt", "post_0001.png"]
    assert (why / "post_0001.png").read_bytes() != b"old picture"
