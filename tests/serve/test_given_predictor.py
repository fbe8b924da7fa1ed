"""HashtagPredictor with a `given_hashtags` column: primed, batched, unknown tags counted."""

import dataclasses

import keras
import pytest

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.data.text import TextVectorizer, WordTokenizer
from amnn.data.vocabulary import HashtagVocabulary
from amnn.model.folder import TrainedAMNN
from amnn.model.network import ModelSizes, build_amnn
from amnn.serve.predictor import HashtagPredictor, UnknownGivenTally

TINY = AMNNConfig(word_embedding_dim=8, text_units=8, attention_units=8, tag_embedding_dim=8,
                  decoder_units=12, lexical_units=8, include_image=False, dropout=0.0)
CAPTIONS = ["sunny beach day", "coffee in the morning", "beach waves", "morning coffee",
            "rain in the city", "city lights at night"]
TAGS = [["beach", "summer", "sun"], ["coffee", "morning"], ["beach", "waves"],
        ["coffee", "cafe"], ["rain", "city"], ["city", "night", "lights"]]


@pytest.fixture(scope="module")
def predictor():
    keras.utils.set_random_seed(5)
    vectorizer = TextVectorizer(WordTokenizer(), min_count=1).fit(CAPTIONS)
    vocab = HashtagVocabulary.build(TAGS, min_count=1)
    sizes = ModelSizes(vectorizer.vocab_size, len(vocab), (49, 16))
    trained = TrainedAMNN(build_amnn(TINY, sizes), TINY, vocab, vectorizer, sizes)
    return HashtagPredictor(trained, progress=False)


def _posts(given=None):
    header = ["tweets"] + (["given_hashtags"] if given is not None else [])
    rows = [[c] + ([g] if given is not None else []) for c, g in
            zip(CAPTIONS, given or [""] * len(CAPTIONS))]
    return Posts.from_rows("p.csv", header, rows, list(range(2, 2 + len(rows))))


GIVEN = ["#beach", "", "coffee, nosuchtag", "", "city rain", "['night']"]


@pytest.mark.parametrize("rank", [True, False])
def test_given_tags_are_never_recommended_and_batches_match_single_posts(predictor, rank):
    posts = _posts(GIVEN)
    batched = predictor.predict(posts, top_k=4, batch_size=4, rank=rank)
    single = predictor.predict(posts, top_k=4, batch_size=1, rank=rank)
    assert batched == single
    for tags, given in zip(batched, posts.given_hashtags):
        assert len(tags) == 4 and not set(tags) & set(given)


def test_empty_cells_and_a_missing_column_give_todays_predictions(predictor):
    without = predictor.predict(_posts(), top_k=3, rank=True)
    empty = predictor.predict(_posts([""] * len(CAPTIONS)), top_k=3, rank=True)
    given = predictor.predict(_posts(GIVEN), top_k=3, rank=True)
    assert without == empty
    assert [without[i] for i in (1, 3)] == [given[i] for i in (1, 3)]  # nothing given there


def test_unknown_given_tags_are_counted_once_per_tag(predictor):
    predictor.unknown_given = UnknownGivenTally()  # the other tests' counts left out
    posts = dataclasses.replace(_posts(), given_hashtags=[["nosuchtag", "other"], [], ["beach"],
                                                          ["x"], [], []])
    predictions = predictor.predict(posts, top_k=3)
    assert (predictor.unknown_given.tags, predictor.unknown_given.posts) == (3, 2)
    assert "beach" not in predictions[2]
    assert predictor.unknown_given.note().startswith("3 given hashtags (in 2 posts) are not")


def test_without_a_rank_argument_posts_are_decoded_as_the_model_was_trained(predictor):
    ranked = predictor.predict(_posts(), top_k=4, rank=True)
    in_sequence = predictor.predict(_posts(), top_k=4, rank=False)
    assert ranked != in_sequence  # else this test could not tell the two apart
    assert predictor.trained.config.decode == "rank"
    assert predictor.predict(_posts(), top_k=4) == ranked
    sequence_model = dataclasses.replace(
        predictor.trained, config=dataclasses.replace(predictor.trained.config,
                                                      decode="sequence"))
    as_trained = HashtagPredictor(sequence_model, progress=False)
    assert as_trained.predict(_posts(), top_k=4) == in_sequence
