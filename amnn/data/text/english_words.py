"""English word scores for splitting hashtags: wordsegment's web counts, plus training posts.

wordsegment ships unigram and bigram counts from Google's 2006 web n-grams. They miss
what people write now (instagram, vape, selfie) and the names of a data set's events
(dharahara, tsarnaev). `learn_english` counts the words and word pairs of the training
captions, and `EnglishWords` adds those counts, scaled to the web counts' total, to the
web counts. (Training tags are not counted: taking a tag as a word when it starts or ends
several other tags, or when captions also write it, did no better on the dev tags;
docs/BENCHMARKS.md, `segmentation`.)

Example:
    >>> learnt = learn_english(["Vape life", "new vape", "VapeNation"])
    >>> EnglishWords().viterbi("vapenation"), EnglishWords(learnt).viterbi("vapenation")
    (['v', 'ape', 'nation'], ['vape', 'nation'])
"""

from __future__ import annotations

import collections
import itertools
import math
import re
import unicodedata
from typing import Any, Iterable, Mapping, Optional

from amnn.data.text.word_scores import join_clitics, longest_match, trace

MAX_ENGLISH = 24  # longest English word tried (wordsegment's own limit)
BEAM = 4  # English paths kept per end position; more changes nothing on real tags
WEIGHT = 0.1  # learnt counts' share of the total, relative to the web counts' (chosen on dev)
MIN_WORD = 2  # words seen fewer times are not kept: a one-off is often words run together
MIN_PAIR = 2  # word pairs seen fewer times are not kept (keeps the saved JSON small)
MAX_LEARNT = 5000  # most words, and most pairs, kept (the most frequent; chosen on dev)
_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_RAW_WORD = re.compile(rf"[{_LETTERS}]+(?:'[{_LETTERS}]+)*")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# URLs, @mentions, and the two characters '\' 'n' some exported tweets hold for a break.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|@\w+|\\[nrt]", re.IGNORECASE)


def _load_wordsegment():
    """wordsegment's module, its counts loaded once per process (about 0.7 s)."""
    import wordsegment

    if not wordsegment.UNIGRAMS:
        wordsegment.load()
    return wordsegment


def caption_words(text: str) -> list[list[str]]:
    """The Latin words of a raw caption, lower case, in runs written apart by spaces only.

    URLs and @mentions are dropped; an apostrophe is dropped too (don't -> dont), as a tag
    has none; a word written in CamelCase is cut at its capitals (BringBackOurGirls),
    since that is how people write several words as one. Punctuation ends a run, so only
    words that follow each other in a sentence make pairs.

    Example:
        >>> caption_words("Don't stop, BringBackOurGirls now! @CNN http://t.co/x")
        [['dont', 'stop'], ['bring', 'back', 'our', 'girls', 'now']]
    """
    text = _NOISE.sub(" ", unicodedata.normalize("NFC", text or "").replace("\u2019", "'"))
    runs: list[list[str]] = []
    end = None
    for match in _RAW_WORD.finditer(text):
        words = _CAMEL.sub(" ", match.group().replace("'", "")).lower().split()
        if end is not None and text[end:match.start()].isspace():
            runs[-1] += words
        else:
            runs.append(words)
        end = match.end()
    return runs


def learn_english(captions: Iterable[str]) -> dict[str, Any]:
    """Counts of the Latin words and adjacent word pairs of raw training captions.

    `tokens` is the number of words read; only words and pairs met at least `MIN_WORD`
    and `MIN_PAIR` times are kept, at most `MAX_LEARNT` of each: plain JSON, small enough
    to save with a model.

    Example:
        >>> learn_english(["new vape! vape life", "VapeLife"])
        {'tokens': 6, 'words': {'vape': 3, 'life': 2}, 'pairs': {'vape life': 2}}
    """
    words: collections.Counter = collections.Counter()
    pairs: collections.Counter = collections.Counter()
    for text in captions:
        for run in caption_words(text):
            words.update(run)
            pairs.update(f"{a} {b}" for a, b in itertools.pairwise(run))
    return {"tokens": sum(words.values()),
            "words": {word: count for word, count in words.most_common(MAX_LEARNT)
                      if count >= MIN_WORD},
            "pairs": {pair: count for pair, count in pairs.most_common(MAX_LEARNT)
                      if count >= MIN_PAIR}}


class EnglishWords:
    """English words scored as wordsegment scores them: log P(word | previous word).

    A word's count is its web count plus its learnt count times `weight` x (web total /
    learnt total), so the learnt counts hold `weight` of the mass the web counts hold. P is
    a word's count over the sum of both totals; a pair with a count gives P(word |
    previous) by "stupid backoff", as wordsegment does. A word with no count scores
    10 / (total * 10 ** length), so an unknown stretch stays one word rather than being
    cut into letters. A lone s, d, t or m is joined to the word before it: obamashouse ->
    obamas house, not obama s house (the web counts hold the s of "obama's").

    Args:
        learnt: dict or None. What `learn_english` returned; None uses the web counts alone.
        weight: float. The learnt counts' total relative to the web counts' total.

    Example:
        >>> EnglishWords().viterbi("hurricanesandy")
        ['hurricane', 'sandy']
    """

    def __init__(self, learnt: Optional[Mapping[str, Any]] = None,
                 weight: float = WEIGHT) -> None:
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight!r}")
        module = _load_wordsegment()
        self.unigrams, self.bigrams = module.UNIGRAMS, module.BIGRAMS
        web_total = module.Segmenter.TOTAL
        learnt = learnt or {}
        scale = weight * web_total / learnt["tokens"] if learnt.get("tokens") else 0.0
        self.extra_unigrams = {w: n * scale for w, n in learnt.get("words", {}).items()}
        self.extra_bigrams = {p: n * scale for p, n in learnt.get("pairs", {}).items()}
        self._log_total = math.log(web_total + (weight * web_total if scale else 0.0))

    def count(self, word: str) -> float:
        """The word's web count plus its scaled learnt count (0 when it has neither)."""
        return self.unigrams.get(word, 0.0) + self.extra_unigrams.get(word, 0.0)

    def known(self, word: str) -> bool:
        """Whether the web counts or the learnt counts hold `word`."""
        return word in self.unigrams or word in self.extra_unigrams

    def unigram(self, word: str) -> float:
        """log P(word)."""
        return self._log_probability(word, self.count(word))

    def score(self, word: str, previous: Optional[str]) -> float:
        """log P(word | previous), backing off to log P(word)."""
        count = self.count(word)
        alone = self._log_probability(word, count)
        return self._after(previous, word, alone) if count and previous else alone

    def _log_probability(self, word: str, count: float) -> float:
        if count:
            return math.log(count) - self._log_total
        return math.log(10.0) - self._log_total - len(word) * math.log(10.0)

    def _after(self, previous: str, word: str, alone: float) -> float:
        pair = f"{previous} {word}"
        count = self.bigrams.get(pair, 0.0) + self.extra_bigrams.get(pair, 0.0)
        if count:
            before = self.count(previous)
            if before:
                return math.log(count) - math.log(before)
        return alone

    def viterbi(self, text: str) -> list[str]:
        """The most probable words of a run of lower-case letters (a beam over bigram paths).

        Example:
            >>> EnglishWords().viterbi("prayforboston")
            ['pray', 'for', 'boston']
        """
        # paths[end][start] = (log probability, start of the word before) for the best
        # path whose last word is text[start:end]; start -1 marks the beginning.
        paths: list[dict[int, tuple[float, int]]] = [{-1: (0.0, -2)}] + [{} for _ in text]
        for end in range(1, len(text) + 1):
            options = {}
            for start in range(max(0, end - MAX_ENGLISH), end):
                word = text[start:end]
                count = self.count(word)
                alone = self._log_probability(word, count)
                if not count:  # no pair holds an unknown word: skip the pair look-ups
                    total, before = max((total, before)
                                        for before, (total, _) in paths[start].items())
                    options[start] = (total + alone, before)
                    continue
                options[start] = max(
                    (total + (self._after(text[before:start], word, alone) if before >= 0
                              else alone), before)
                    for before, (total, _) in paths[start].items())
            kept = sorted(options.items(), key=lambda item: -item[1][0])[:BEAM]
            paths[end] = dict(kept)
        return join_clitics(trace(text, paths))

    def greedy(self, text: str) -> list[str]:
        """Longest known word first, left to right; unknown letters join into one word.

        The web counts hold rare strings such as "forbo", which greedy takes gladly.

        Example:
            >>> EnglishWords().greedy("prayforboston")
            ['pray', 'forbo', 'ston']
        """
        return join_clitics(longest_match(text, self.known, MAX_ENGLISH))
