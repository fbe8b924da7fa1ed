"""Posts turned into ids for the caption task: hashtag ids in, caption word ids out.

A caption model (`AMNNConfig.task == "caption"`) writes a post's text. Its output
vocabulary is a `TextVectorizer` fitted on the training captions alone, in whole words
(`WordTokenizer`, so a written caption reads as words separated by spaces, Korean
included), with two ids added after the words: BOS starts every caption and EOS, which the
model learns to write, ends it. Its inputs are the post's photo row and its hashtags, as
ids of a `HashtagVocabulary` fitted on the training posts (unknown tags left out).

The same encoding serves training and prediction, as `amnn.inputs.encoding` does for tags.

The vocabulary also knows its function words (`function_words`): the words a caption may
write twice ("the storm hits the city"); every other word is a content word, written at
most once (`amnn.model.caption_decoding`). They are found in the training captions when the
vectorizer is fitted and saved in its JSON, so decoding needs nothing else from the folder.

Example:
    >>> from amnn.data.text import TextVectorizer
    >>> from amnn.data.text.tokenizers import WordTokenizer
    >>> vectorizer = TextVectorizer(WordTokenizer(), min_count=1).fit(["storm hits nyc"])
    >>> ids = CaptionIds(vectorizer)
    >>> ids.bos, ids.eos, ids.size
    (5, 6, 7)
    >>> ids.target("Storm hits Boston")
    [2, 3, 1, 6]
    >>> ids.text([2, 3, 1, 6, 0])
    'storm hits'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from amnn.config import AMNNConfig
from amnn.data.posts import Posts
from amnn.data.text import TextVectorizer
from amnn.data.text.hashtag_words import HashtagSegmenter
from amnn.data.text.tokenizers import WordTokenizer
from amnn.data.text.vectorizer import PAD, UNK
from amnn.data.vocabulary import UNK as TAG_UNK
from amnn.data.vocabulary import HashtagVocabulary
from amnn.inputs.caption_repetition import find_function_words


class CaptionIds:
    """The caption decoder's ids: the vectorizer's words, then BOS and EOS.

    Args:
        vectorizer: TextVectorizer fitted on training captions (PAD 0, UNK 1, words 2...).
    """

    def __init__(self, vectorizer: TextVectorizer) -> None:
        self.vectorizer = vectorizer
        self.bos = vectorizer.vocab_size
        self.eos = vectorizer.vocab_size + 1
        self.size = vectorizer.vocab_size + 2  # the decoder's embedding and output size
        function = getattr(vectorizer, "function_words", None)
        # Content ids: the words written at most once. A vectorizer without function words
        # (a caption model trained before the rule) bans no repeat, as it was trained to.
        self.content = np.zeros(self.size, dtype=bool)
        if function is not None:
            function = set(function)
            self.content[2:vectorizer.vocab_size] = [w not in function for w in vectorizer.words]

    def target(self, text: str) -> list[int]:
        """A caption's word ids (cut to the vectorizer's `max_tokens`), then EOS."""
        return self.vectorizer.encode([text])[0] + [self.eos]

    def text(self, ids: Sequence[int]) -> str:
        """Written words of decoded ids, up to EOS (PAD, UNK and BOS are never written)."""
        words = []
        for index in ids:
            if int(index) == self.eos:
                break
            word = self.vectorizer.word(index)
            if word is not None:
                words.append(word)
        return " ".join(words)

    @property
    def never_written(self) -> list[int]:
        """Ids the decoder must not write: PAD, UNK (an unknown word says nothing) and BOS."""
        return [PAD, UNK, self.bos]


class CaptionVectorizer(TextVectorizer):
    """The caption vocabulary with its function words, saved in the same JSON.

    Args:
        function_words: list of str or None. Words a caption may repeat; None (a folder
            written before the rule) lets every word repeat.

    Example:
        >>> vectorizer = CaptionVectorizer(WordTokenizer(), min_count=1)
        >>> vectorizer.fit(["the storm hits the city"]).function_words
        ['the']
    """

    def __init__(self, *args, function_words: Optional[Sequence[str]] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.function_words = None if function_words is None else list(function_words)

    def fit(self, texts) -> "CaptionVectorizer":
        texts = list(texts)
        super().fit(texts)
        self.function_words = find_function_words(
            [self.tokenizer.tokenize(text) for text in texts])
        return self

    def to_json(self) -> dict[str, Any]:
        # An extra key: an AMNN from before the rule still reads the file.
        return {**super().to_json(), "function_words": self.function_words}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CaptionVectorizer":
        vectorizer = super().from_json(data)
        vectorizer.function_words = data.get("function_words")
        return vectorizer


def fit_caption_vectorizer(texts: Sequence[str], config: AMNNConfig) -> CaptionVectorizer:
    """The output vocabulary: whole lower-cased words of the training captions.

    Example:
        >>> fit_caption_vectorizer(["a b b", "b c"], AMNNConfig(min_word_count=2)).words
        ['b']
    """
    # Whole words, not soynlp's stems: the model writes them out, and "카페에서" must be
    # written as one word, not as "카페 에서".
    return CaptionVectorizer(WordTokenizer(), min_count=config.min_word_count,
                             max_words=config.max_words,
                             max_tokens=config.max_caption_words).fit(texts)


@dataclass
class CaptionPosts:
    """Posts as caption-model ids.

    Args:
        tag_ids: list of int lists (known hashtag ids, may be empty) or None (no tag input).
        image_rows: int32 array (N,) of rows in the feature table, or None (no photo input).
        targets: list of int lists (caption word ids ending in EOS) or None (prediction).

    Example:
        >>> len(CaptionPosts([[4], []], None, [[2, 6], [6]]))
        2
    """

    tag_ids: Optional[Sequence[Sequence[int]]]
    image_rows: Optional[np.ndarray]
    targets: Optional[Sequence[Sequence[int]]]

    def __len__(self) -> int:
        for part in (self.targets, self.tag_ids, self.image_rows):
            if part is not None:
                return len(part)
        return 0

    def select(self, keep: Sequence[int]) -> "CaptionPosts":
        """The posts at positions `keep`, in that order."""
        keep = np.asarray(keep, dtype=np.int64)

        def pick(part):
            if part is None:
                return None
            return part[keep] if isinstance(part, np.ndarray) else [part[i] for i in keep]

        return CaptionPosts(pick(self.tag_ids), pick(self.image_rows), pick(self.targets))


def hashtag_inputs(posts: Posts, segmenter: Optional[HashtagSegmenter] = None) -> list:
    """Each post's hashtags as the model reads them: the tags, or with a segmenter their words.

    Example:
        >>> posts = Posts.from_rows("p.csv", ["tweets", "hashtags"],
        ...                         [["a", "hurricanesandy nyc"]], [2])
        >>> hashtag_inputs(posts), hashtag_inputs(posts, HashtagSegmenter())
        ([['hurricanesandy', 'nyc']], [['hurricane', 'sandy', 'nyc']])
    """
    tags = posts.hashtags if posts.hashtags is not None else [[]] * len(posts)
    if segmenter is None:
        return [list(post_tags) for post_tags in tags]
    return [[word for tag in post_tags for word in segmenter.split(tag)] for post_tags in tags]


def encode_caption_posts(posts: Posts, config: AMNNConfig, tag_vocab: HashtagVocabulary,
                         caption_ids: Optional[CaptionIds], image_rows: Optional[np.ndarray],
                         segmenter: Optional[HashtagSegmenter] = None) -> CaptionPosts:
    """Ids of one split; targets only when `caption_ids` is given (training).

    With a `segmenter` (`hashtag_words`), `tag_vocab` holds hashtag words, not hashtags.
    """
    tag_ids = None
    if config.caption_from_hashtags:
        tags = hashtag_inputs(posts, segmenter)
        tag_ids = [[i for i in (tag_vocab.id(tag) for tag in post_tags) if i != TAG_UNK]
                   for post_tags in tags]
    targets = None
    if caption_ids is not None:
        targets = [caption_ids.target(text) for text in posts.texts]
    return CaptionPosts(tag_ids, image_rows if config.include_image else None, targets)


def keep_captioned(posts: CaptionPosts) -> tuple[CaptionPosts, int]:
    """Drop posts with an empty caption (target EOS alone): they would teach silence."""
    keep = [i for i, target in enumerate(posts.targets) if len(target) > 1]
    return posts.select(keep), len(posts) - len(keep)
