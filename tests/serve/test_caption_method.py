"""CaptionPredictor answers with the folder's choice: the writer or the shipped retriever.

The caption model is tiny and untrained (its captions are noise, but deterministic), built
here with its vocabularies; nothing is trained and no process is started.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from amnn.cli import args as cli_args  # noqa: E402
from amnn.cli import demo, predict  # noqa: E402
from amnn.config import AMNNConfig  # noqa: E402
from amnn.data.posts import Posts  # noqa: E402
from amnn.data.text import TextVectorizer  # noqa: E402
from amnn.data.text.tokenizers import WordTokenizer  # noqa: E402
from amnn.data.vocabulary import HashtagVocabulary  # noqa: E402
from amnn.errors import AMNNError  # noqa: E402
from amnn.model.caption_network import CaptionNetwork, CaptionSizes  # noqa: E402
from amnn.model.caption_retrieval import CaptionRetriever  # noqa: E402
from amnn.model.folder import TrainedAMNN, load_model_folder, save_model_folder  # noqa: E402
from amnn.model.network import ModelSizes  # noqa: E402
from amnn.serve.caption_predictor import CAPTION_METHODS, CaptionPredictor  # noqa: E402
from amnn.serve.demo_captions import DemoCaptionWriter  # noqa: E402
from amnn.train.caption_choice import CaptionChoice  # noqa: E402

TINY = dict(task="caption", include_image=False, word_embedding_dim=8, attention_units=8,
            region_units=8, tag_embedding_dim=8, decoder_units=12, dropout=0.0,
            caption_beam_size=1)
TRAIN = Posts.from_rows("t.csv", ["tweets", "hashtags"], [
    ["Storm floods the subway!", "sandy nyc"], ["Go Boston", "boston"]], [2, 3])
NEW = Posts.from_rows("n.csv", ["hashtags"], [["boston"], ["nyc"], [""]], [2, 3, 4],
                      require_text=False)
CHOICE = CaptionChoice("retrieval-tags", None, 2, [
    {"method": "writer", "alpha": None, "score": 0.1},
    {"method": "frequent", "alpha": None, "score": 0.1},
    {"method": "retrieval-tags", "alpha": None, "score": 0.3}],
    {"method": "retrieval-tags", "alpha": None}).to_json()


def trained(choice=None, retrieval=None) -> TrainedAMNN:
    config = AMNNConfig(**TINY)
    words = TextVectorizer(WordTokenizer(), min_count=1).fit(TRAIN.texts)
    vocab = HashtagVocabulary.build(TRAIN.hashtags, min_count=1)
    sizes = CaptionSizes(words.vocab_size + 2, len(vocab), (49, 16))
    model = CaptionNetwork.create(config, sizes).training_model(sizes)
    sizes = ModelSizes(sizes.word_ids, sizes.tag_vocab_size, sizes.feature_shape)
    return TrainedAMNN(model, config, vocab, words, sizes, caption_choice=choice,
                       caption_retrieval=retrieval)


@pytest.fixture(scope="module")
def folders():
    """(a folder without a choice, the same model choosing retrieval-tags)."""
    old = trained()
    retrieval = CaptionRetriever("retrieval-tags").fit(TRAIN).to_arrays()
    return old, TrainedAMNN(**{**old.__dict__, "caption_choice": CHOICE,
                               "caption_retrieval": retrieval})


def test_a_folder_without_a_choice_writes(folders):
    old, _ = folders
    predictor = CaptionPredictor(old, progress=False)
    assert predictor.answers == "writer" and predictor.retriever is None
    written = predictor.predict(NEW)
    assert written == CaptionPredictor(old, progress=False, method="write").predict(NEW)
    vocabulary = set(old.vectorizer.words)
    assert all(caption and set(caption.split()) <= vocabulary for caption in written)
    with pytest.raises(AMNNError, match="holds no retriever"):
        CaptionPredictor(old, progress=False, method="retrieve")
    with pytest.raises(ValueError, match="method"):
        CaptionPredictor(old, progress=False, method="best")


def test_a_folder_that_chose_a_retriever_answers_with_it(folders):
    old, chosen = folders
    predictor = CaptionPredictor(chosen, progress=False)
    assert predictor.answers == "retrieval-tags"
    # Training captions as written; a post with no known tag gets the frequent one.
    assert predictor.predict(NEW) == ["Go Boston", "Storm floods the subway!",
                                      "Storm floods the subway!"]
    assert CaptionPredictor(chosen, progress=False, method="write").predict(NEW) == \
        CaptionPredictor(old, progress=False).predict(NEW)


def test_the_choice_and_its_retriever_survive_the_model_folder(folders, tmp_path):
    _, chosen = folders
    save_model_folder(tmp_path / "model", chosen, extra={"training": {"epochs_run": 1}})
    loaded = load_model_folder(tmp_path / "model")
    assert loaded.caption_choice == CHOICE
    assert sorted(loaded.caption_retrieval) == sorted(chosen.caption_retrieval)
    for name, values in chosen.caption_retrieval.items():
        np.testing.assert_array_equal(loaded.caption_retrieval[name], values)
    assert CaptionPredictor(loaded, progress=False).predict(NEW) == \
        CaptionPredictor(chosen, progress=False).predict(NEW)
    save_model_folder(tmp_path / "old", trained())
    assert load_model_folder(tmp_path / "old").caption_choice is None


def test_the_demo_notes_a_retrieved_caption(folders, tmp_path):
    _, chosen = folders
    page = DemoCaptionWriter(CaptionPredictor(chosen, progress=False), tmp_path)
    result = page.write(None, "#boston #neverseen")
    assert result.caption == "Go Boston"
    assert result.note == "The caption of the most similar training post (retrieval-tags)."


def test_caption_method_is_a_flag_of_predict_and_the_demo(monkeypatch, tmp_path):
    assert cli_args.CAPTION_METHODS == CAPTION_METHODS
    assert predict.build_parser().parse_args(
        ["--model", "m", "--data", "d", "--out", "o"]).caption_method == "auto"
    args = demo.build_parser().parse_args(["--caption-method", "retrieve"])
    given = {}

    def stand_in(name):
        def record(*_, **kwargs):
            given[name] = kwargs
            return type(name, (), {"config": AMNNConfig(task="caption")})()
        return record

    import amnn.serve.caption_predictor as caption_predictor
    import amnn.serve.demo_captions as demo_captions
    import amnn.serve.demo_page as demo_page

    for module, name in ((caption_predictor, "CaptionPredictor"),
                         (demo_captions, "DemoCaptionWriter"),
                         (demo_page, "build_caption_page")):
        monkeypatch.setattr(module, name, stand_in(name))
    demo._caption_page(None, AMNNConfig(), None, "features", tmp_path, None,
                       method=args.caption_method)
    assert given["CaptionPredictor"]["method"] == "retrieve"


def test_a_folder_that_retrieves_by_what_tags_mean_saves_its_vectors(folders, tmp_path):
    old, _ = folders
    retrieval = CaptionRetriever("retrieval-tags-meaning").fit(TRAIN).to_arrays()
    choice = dict(CHOICE, method="retrieval-tags-meaning",
                  retriever={"method": "retrieval-tags-meaning", "alpha": None})
    save_model_folder(tmp_path / "model", TrainedAMNN(**{
        **old.__dict__, "caption_choice": choice, "caption_retrieval": retrieval}),
        extra={"training": {"epochs_run": 1}})
    predictor = CaptionPredictor(load_model_folder(tmp_path / "model"), progress=False)
    assert predictor.answers == "retrieval-tags-meaning"
    # Tags that no training post has, read by what they mean.
    unseen = Posts.from_rows("n.csv", ["hashtags"], [["marathon"], ["hurricane flood"]],
                             [2, 3], require_text=False)
    assert predictor.predict(unseen) == ["Go Boston", "Storm floods the subway!"]
