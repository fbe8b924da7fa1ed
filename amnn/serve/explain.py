"""Why a tag was chosen: what the network and the neighbours' vote each gave it.

A tag's probability is `(1 - vote_weight) * network + vote_weight * vote`, in the mix the
model chose when it was trained (`amnn.train.mix_choice`). `explain_posts` runs
`HashtagPredictor`'s own decode (same photo cache, bad-photo policy, given tags and
batching) in its explaining mode, so the tags are exactly those `predict` writes, and every
part is what the compiled decode step used to pick them: each tag's network probability and
vote, the remembered training posts that voted for it (caption and photo), and the
network's attention:

- rank mode (the default decode): every tag is ranked from the one decoder step after the
  priming, so all tags share that step's attention (`shared_step` is True);
- greedy mode (`rank=False`): each tag has the attention of its own step.

The attention is the network's alone: with a vote weight of 1 the network decided nothing,
and `network_decided` is False. Beam search keeps several lists at once and is not
explained. `draw_explanation` (in `amnn.serve.explain_drawing`) turns one
`PostExplanation` into a PNG.

Usage, with a trained model folder (predict.py --explain does this, and
tests/serve/test_explain.py runs it on a tiny model, with and without the memory):

    predictor = HashtagPredictor(load_model_folder("models/demo"))
    posts = read_posts("test_dataset", require_hashtags=False)
    why = explain_posts(predictor, posts.select([0]), top_k=3)[0]
    why.tags                 # ['cat', 'catsofinstagram', 'meow']: the tags predict writes
    why.region_weights.shape  # (3, 7, 7): per tag, its attention over the photo's regions
    why.word_weights.shape    # (3, len(why.words)): per tag, its attention over the words
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from amnn.data.posts import Posts
from amnn.data.vocabulary import BOS, EOS, PAD, UNK
from amnn.serve.predictor import DecodedPost, HashtagPredictor

__all__ = ["PostExplanation", "Voter", "explain_posts"]
UNKNOWN_WORD = "<unk>"  # a caption word the model's vocabulary lacks, as the model saw it
VOTERS_SHOWN = 3  # per tag: the nearest remembered posts that voted for it


@dataclasses.dataclass
class Voter:
    """A remembered training post that voted for a tag: its caption, photo, and its weight in
    the vote (`similarity`: its cosine in the view that found it, times that view's share)."""

    caption: str
    photo: str
    similarity: float


@dataclasses.dataclass
class PostExplanation:
    """One post's recommended tags and why.

    Attributes:
        tags: exactly the tags predict writes for this post.
        probabilities: one per tag, in (0, 1]: the (memory-mixed) probability of the tag at
            the decoder step that chose it.
        region_weights: (len(tags), rows, cols), e.g. (n, 7, 7), each summing to 1; None for
            text-only models and posts without a usable photo.
        words: the caption's words as the user wrote them (its tokens), None without text.
        word_weights: (len(tags), len(words)); each row sums to 1 over the words.
        shared_step: True when all tags share one decoder step (rank mode).
        known_words: per word, whether the model knows it (an unknown word reads as UNK).
        network_probabilities: per tag, the network's own probability.
        vote_probabilities: per tag, its share of the neighbours' vote (None: no memory).
        vote_weight: the vote's weight in the mix (0.0: the network alone).
        voters: per tag, the nearest remembered posts that voted for it (empty lists when
            the model keeps no posts or has no memory).

    Example:
        >>> why = PostExplanation(["cat"], [0.4], np.full((1, 7, 7), 1 / 49), ["a", "cat"],
        ...                       np.array([[0.2, 0.8]]), True)
        >>> why.top_word(0)
        'cat'
    """

    tags: list[str]
    probabilities: list[float]
    region_weights: np.ndarray | None
    words: list[str] | None
    word_weights: np.ndarray | None
    shared_step: bool
    known_words: list[bool] | None = None
    network_probabilities: list[float] | None = None
    vote_probabilities: list[float] | None = None
    vote_weight: float = 0.0
    voters: list[list[Voter]] | None = None

    @property
    def network_decided(self) -> bool:
        """Whether the network had a share in the tags (its attention means something)."""
        return self.vote_weight < 1.0

    def top_word(self, position: int) -> str | None:
        """The caption word tag `position` attended to most (None without words)."""
        if not self.words or self.word_weights is None:
            return None
        return self.words[int(np.argmax(self.word_weights[position]))]


def explain_posts(predictor: HashtagPredictor, posts: Posts, top_k: int = 5,
                  rank: bool | None = None, min_tags: int | None = None,
                  batch_size: int = 256) -> list[PostExplanation]:
    """One `PostExplanation` per post, in order; tags equal `predictor.predict`'s for the
    same arguments (`rank`, `top_k`, `min_tags`, `batch_size`; beam search is not explained).

    A post skipped for its photo (on_bad_image "skip") gets an explanation with no tags.
    `rank=None` decodes as the model was trained to.
    """
    rank = predictor.resolve_rank(rank)
    decoded = predictor.decode_explained(posts, top_k=top_k, min_tags=min_tags,
                                         batch_size=batch_size, rank=rank)
    trained = predictor.trained
    return [_readable(post, trained, rank, text)
            for post, text in zip(decoded, posts.texts)]


def tag_positions(vocab, ids) -> tuple[list[str], list[int]]:
    """`vocab.decode(ids)` and where each of its tags sits in `ids`.

    Example:
        >>> from amnn.data.vocabulary import HashtagVocabulary
        >>> tag_positions(HashtagVocabulary(["a", "b"], [2, 2]), [1, 5, 3, 5, 4, 2, 4])
        (['b', 'a'], [1, 4])
    """
    tags, positions = [], []
    for position, index in enumerate(int(i) for i in ids):
        if index == EOS:
            break
        if index in (PAD, BOS, UNK) or vocab.tag(index) in tags:
            continue
        tags.append(vocab.tag(index))
        positions.append(position)
    if tags != vocab.decode(ids):  # the CSV's tags are vocab.decode's: never disagree
        raise AssertionError(f"explained tags {tags} differ from {vocab.decode(ids)}")
    return tags, positions


def region_grid(weights: np.ndarray) -> np.ndarray:
    """(n, R) region weights -> (n, rows, cols): a square grid, else one row of R.

    Example:
        >>> region_grid(np.zeros((2, 49))).shape, region_grid(np.zeros((1, 6))).shape
        ((2, 7, 7), (1, 1, 6))
    """
    side = math.isqrt(weights.shape[1])
    rows = side if side * side == weights.shape[1] else 1
    return weights.reshape(len(weights), rows, -1)


def caption_words(vectorizer, word_ids, text: str | None = None):
    """(words, known): the caption's tokens as written, and which ones the model knows.

    Without `text`, or when its tokens do not line up with the ids, the words are the ones
    the model saw, an unknown one as "<unk>".
    """
    known = [vectorizer.word(i) is not None for i in word_ids]
    tokens = vectorizer.tokenizer.tokenize(text)[:len(word_ids)] if text else []
    if len(tokens) == len(word_ids):
        return list(tokens), known
    return [vectorizer.word(i) or UNKNOWN_WORD for i in word_ids], known


def _voters(post: DecodedPost, trained, ids: list[int]) -> list[list[Voter]]:
    """Per chosen tag id, the nearest remembered posts carrying it that voted."""
    posts, memory = trained.memory_posts, trained.neighbours
    if post.neighbour_rows is None or posts is None or memory is None:
        return [[] for _ in ids]
    found = []
    for tag in ids:
        voters = [Voter(posts["captions"][row], posts["photos"][row], float(similarity))
                  for row, similarity in zip(post.neighbour_rows, post.neighbour_similarities)
                  if similarity > 0 and tag in memory.tags[row]]
        found.append(voters[:VOTERS_SHOWN])
    return found


def _readable(post: DecodedPost | None, trained, shared: bool,
              text: str | None = None) -> PostExplanation:
    vocab, vectorizer = trained.hashtag_vocab, trained.vectorizer
    if post is None:  # skipped for its photo: no tags, nothing to explain
        return PostExplanation([], [], None, None, None, shared)
    tags, positions = tag_positions(vocab, post.ids)
    regions = None
    if post.region_weights is not None:
        regions = region_grid(post.region_weights[positions].astype(np.float32))
    words = word_weights = known = None
    if post.word_ids:  # an empty caption has no words to weigh
        words, known = caption_words(vectorizer, post.word_ids, text)
        word_weights = post.word_weights[positions].astype(np.float32)
    probabilities = [float(p) for p in post.probabilities[positions]]

    def at_positions(values):
        return None if values is None else [float(values[i]) for i in positions]

    return PostExplanation(tags, probabilities, regions, words, word_weights, post.shared_step,
                           known, at_positions(post.network_probabilities),
                           at_positions(post.vote_probabilities), float(post.vote_weight),
                           _voters(post, trained, [int(post.ids[i]) for i in positions]))
