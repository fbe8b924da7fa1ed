"""What a written caption may repeat, and three ways a caption writer degenerates.

`find_function_words` decides, from the training captions, which words a caption may write
twice; the rest are content words. Decoding (`amnn.model.caption_decoding`) and training's
stopping score (`amnn.train.caption_stop`) use these definitions, and so do the benchmark
and the tests, so all measure the same thing:

- `repeats_a_content_word`: a caption writes a word twice that is not a function word
  ("bombing bombing suspect"); decoding never writes a content word twice.
- `repeats_a_word_in_a_row`: a word follows itself ("the the the"); decoding never
  writes one either.
- `distinct_ratio`: distinct written captions per distinct input (photo plus hashtag set).
  A writer that answers "the the the a the the" to every post scores near 0; training
  keeps no epoch under `amnn.train.caption_stop.DISTINCT_FLOOR`.

Example:
    >>> repeats_a_content_word("la imagen de la selva de ny que ser de ny".split(), {"la", "de"})
    True
    >>> distinct_ratio(["a storm", "a storm", "a flood"], [("p1", ()), ("p2", ()), ("p3", ())])
    0.666667
"""

from __future__ import annotations

from collections import Counter
from typing import Hashable, Iterable, Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

FUNCTION_SHARE = 0.01   # a repeatable word is in at least 1 % of the training captions,
FUNCTION_MIN_CAPTIONS = 5  # and in at least 5 of them,
FUNCTION_REPEAT = 0.05  # and at least 5 % of those captions write it twice


def find_function_words(captions: Sequence[Sequence[str]]) -> list[str]:
    """The words of tokenized training captions that a caption may repeat, sorted.

    A word is a function word when it is an English stop word (scikit-learn's list), or
    when the training authors themselves repeat it: it is in at least `FUNCTION_SHARE` of
    the captions (and `FUNCTION_MIN_CAPTIONS`), and written twice in at least
    `FUNCTION_REPEAT` of those. The second part needs no list for Spanish or Korean; on
    mediaeval's training posts it adds en, la, el, las, por, rt, amp and an emoji (with
    five event words: atlantic, tower, dharahara, historic, soldiers), where the share of
    captions alone would add sandy, york, hurricane and the other event words.

    Example:
        >>> find_function_words([["la", "casa", "de", "la", "playa"]] * 5 + [["sol"]] * 5)
        ['de', 'la']
    """
    holding, twice = Counter(), Counter()
    for caption in captions:
        counts = Counter(caption)
        holding.update(counts.keys())
        twice.update(word for word, count in counts.items() if count > 1)
    floor = max(FUNCTION_MIN_CAPTIONS, FUNCTION_SHARE * len(captions))
    return sorted(word for word, count in holding.items()
                  if word in ENGLISH_STOP_WORDS
                  or (count >= floor and twice[word] >= FUNCTION_REPEAT * count))


def repeats_a_content_word(words: Sequence[str], function_words: Iterable[str]) -> bool:
    """True when a word outside `function_words` occurs twice or more in `words`.

    Example:
        >>> repeats_a_content_word(["the", "storm", "hits", "the", "city"], {"the"})
        False
    """
    function_words = set(function_words)
    return any(count > 1 and word not in function_words
               for word, count in Counter(words).items())


def repeats_a_word_in_a_row(words: Sequence[str]) -> bool:
    """True when a word directly follows itself ("this is is is a shark").

    Example:
        >>> repeats_a_word_in_a_row("너무 너무 좋아요".split()), repeats_a_word_in_a_row(["a", "b", "a"])
        (True, False)
    """
    return any(first == second for first, second in zip(words, words[1:]))


def distinct_ratio(captions: Sequence[Hashable], inputs: Sequence[Hashable]) -> float:
    """Distinct captions over distinct inputs, rounded to 6 places (0 without inputs).

    An input is whatever the writer reads, e.g. (photo, frozenset of hashtags); a caption
    may be a string or a tuple of word ids. The same input written twice counts once on
    both sides, so retweets of one post neither help nor hurt.

    Example:
        >>> distinct_ratio([(5, 6), (5, 6)], [(0, frozenset({3})), (1, frozenset())])
        0.5
    """
    if len(captions) != len(inputs):
        raise ValueError(f"{len(captions)} captions but {len(inputs)} inputs; they must be "
                         "aligned post by post")
    written = {caption for caption in captions}
    distinct_inputs = len(set(inputs))
    return round(len(written) / distinct_inputs, 6) if distinct_inputs else 0.0
