"""Word scores for splitting hashtags, and the two searches over them: Viterbi and greedy.

English runs are scored with the unigram and bigram counts that the `wordsegment` package
ships (Google's web n-grams); Korean runs with scores learnt, without labels, from training
posts (`KoreanWords.learn`). Each vocabulary has a best-path search (`viterbi`) and a
greedy longest-match search (`greedy`), the baseline it is compared with.
`amnn.data.text.hashtag_words` cuts a tag into runs of one script and calls these.

Example:
    >>> KoreanWords({"제주": 3.0, "여행": 2.0}).viterbi("제주여행")
    ['제주', '여행']
"""

from __future__ import annotations

import collections
import math
from typing import Iterable, Mapping

MAX_ENGLISH = 24  # longest English word tried (wordsegment's own limit)
# What the web counts hold of "obama's", "I'd", "don't", "I'm" once the apostrophe is a
# word break; a tag has no apostrophe, so such a letter belongs to the word before it.
CLITICS = frozenset({"s", "d", "t", "m"})
MAX_KOREAN = 10  # longest Korean word tried, in syllables
BEAM = 4  # English paths kept per end position; more changes nothing on real tags


def _load_wordsegment():
    """wordsegment's module, its counts loaded once per process (about 0.7 s)."""
    import wordsegment

    if not wordsegment.UNIGRAMS:
        wordsegment.load()
    return wordsegment


class EnglishWords:
    """English words scored as wordsegment scores them: log P(word | previous word).

    P is a word's count over the corpus total; a pair seen in the bigram table gives
    P(word | previous) by "stupid backoff", as wordsegment does. A word not in the table
    scores 10 / (total * 10 ** length), so an unknown stretch stays one word rather than
    being cut into letters. A lone s, d, t or m is joined to the word before it
    (`CLITICS`): obamashouse -> obamas house, not obama s house.

    Example:
        >>> EnglishWords().viterbi("hurricanesandy")
        ['hurricane', 'sandy']
    """

    def __init__(self) -> None:
        module = _load_wordsegment()
        self.unigrams, self.bigrams = module.UNIGRAMS, module.BIGRAMS
        self._log_total = math.log(module.Segmenter.TOTAL)

    def known(self, word: str) -> bool:
        """Whether wordsegment's vocabulary holds `word`."""
        return word in self.unigrams

    def unigram(self, word: str) -> float:
        """log P(word)."""
        count = self.unigrams.get(word)
        if count:
            return math.log(count) - self._log_total
        return math.log(10.0) - self._log_total - len(word) * math.log(10.0)

    def score(self, word: str, previous: str | None) -> float:
        """log P(word | previous), backing off to log P(word)."""
        if previous is not None and previous in self.unigrams:
            pair = self.bigrams.get(f"{previous} {word}")
            if pair:
                return math.log(pair) - self._log_total - self.unigram(previous)
        return self.unigram(word)

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
                options[start] = max(
                    (total + self.score(word, text[before:start] if before >= 0 else None),
                     before)
                    for before, (total, _) in paths[start].items())
            kept = sorted(options.items(), key=lambda item: -item[1][0])[:BEAM]
            paths[end] = dict(kept)
        return _join_clitics(_trace(text, paths))

    def greedy(self, text: str) -> list[str]:
        """Longest known word first, left to right; unknown letters join into one word.

        The web counts hold rare strings such as "forbo", which greedy takes gladly.

        Example:
            >>> EnglishWords().greedy("prayforboston")
            ['pray', 'forbo', 'ston']
        """
        return _join_clitics(_longest_match(text, self.known, MAX_ENGLISH))


def _join_clitics(words: list[str]) -> list[str]:
    joined: list[str] = []
    for word in words:
        if joined and word in CLITICS:
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _trace(text: str, paths: list[dict[int, tuple[float, int]]]) -> list[str]:
    """Follow the back pointers of the best path that ends at the end of `text`."""
    words, end = [], len(text)
    start = max(paths[end].items(), key=lambda item: item[1][0])[0]
    while end > 0:
        words.append(text[start:end])
        end, start = start, paths[end][start][1]
    return words[::-1]


def _longest_match(text: str, known, longest: int) -> list[str]:
    """Greedy longest match; letters no known word covers are gathered into one word."""
    words, unknown, start = [], "", 0
    while start < len(text):
        end = next((end for end in range(min(len(text), start + longest), start + 1, -1)
                    if known(text[start:end])), None)
        if end is None:
            unknown += text[start]
            start += 1
            continue
        if unknown:
            words.append(unknown)
            unknown = ""
        words.append(text[start:end])
        start = end
    return words + ([unknown] if unknown else [])


class KoreanWords:
    """Korean words scored by how freely they combine in training text (accessor variety).

    A string that is a word meets many different neighbours: 맛집 follows 제주, 서귀포,
    애월 ... and is followed by 추천, 투어 or the end of a tag, while 귀포 only ever sits
    inside 서귀포. So a word's score is the log of the smaller of its left and right
    neighbour perplexities (the exponent of their entropy: how many equally likely
    neighbours they amount to), counted over training tags and caption words; only
    strings of two or more syllables with a perplexity of at least 2 are kept.

    The best split maximises the sum over its words of (syllables x score). Syllables no
    known word covers score 0 and join into one word; a lone such syllable right after a
    word is joined to it, because Korean suffixes such as -관, -점 or -리 follow their stem
    (사진관, 표선점, 하도리).

    Args:
        scores: dict of str to float. Word -> score (from `learn` or JSON).

    Example:
        >>> words = KoreanWords.learn(["제주", "제주여행", "제주맛집", "여행", "맛집",
        ...                            "서귀포맛집", "서귀포여행", "애월맛집", "애월"])
        >>> words.viterbi("애월여행"), words.greedy("애월여행")
        (['애월', '여행'], ['애월', '여행'])
    """

    def __init__(self, scores: Mapping[str, float]) -> None:
        self.scores = dict(scores)

    @classmethod
    def learn(cls, units: Iterable[str]) -> "KoreanWords":
        """Scores from distinct Hangul strings (tags, caption words), each counted once."""
        left: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        right: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for number, unit in enumerate(sorted(set(units))):
            # The edge of a unit counts as a neighbour of its own, met once.
            edge_left, edge_right = ("^", number), ("$", number)
            for start in range(len(unit)):
                for end in range(start + 2, min(len(unit), start + MAX_KOREAN) + 1):
                    word = unit[start:end]
                    left[word][unit[start - 1] if start else edge_left] += 1
                    right[word][unit[end] if end < len(unit) else edge_right] += 1
        scores = {}
        for word in sorted(left):
            spread = min(_perplexity(left[word]), _perplexity(right[word]))
            if spread >= 2.0:
                scores[word] = round(math.log(spread), 4)
        return cls(scores)

    def viterbi(self, run: str) -> list[str]:
        """The best-scoring words of one Hangul run."""
        best = [0.0] + [-math.inf] * len(run)
        back = [0] * (len(run) + 1)
        count = [0] * (len(run) + 1)
        for end in range(1, len(run) + 1):
            for start in range(max(0, end - MAX_KOREAN), end):
                word = run[start:end]
                score = self.scores.get(word)
                if score is None and len(word) > 1:
                    continue
                total = best[start] + (len(word) * score if score is not None else 0.0)
                # Ties go to fewer words, so unknown syllables are not split for nothing.
                if total > best[end] + 1e-9 or (abs(total - best[end]) <= 1e-9
                                                and count[start] + 1 < count[end]):
                    best[end], back[end], count[end] = total, start, count[start] + 1
        words, end = [], len(run)
        while end > 0:
            words.append(run[back[end]:end])
            end = back[end]
        return self._join_unknown(words[::-1])

    def greedy(self, run: str) -> list[str]:
        """Longest known word first, left to right, with the same joining of unknowns."""
        return self._join_unknown(_longest_match(run, self.scores.__contains__, MAX_KOREAN))

    def _join_unknown(self, words: list[str]) -> list[str]:
        """Adjacent unknown syllables become one word; a lone one joins the word before."""
        runs: list[str] = []
        for word in words:
            if runs and word not in self.scores and runs[-1] not in self.scores:
                runs[-1] += word
            else:
                runs.append(word)
        joined: list[str] = []
        for word in runs:
            if joined and len(word) == 1 and word not in self.scores:
                joined[-1] += word  # a suffix after its stem: 사진 + 관 -> 사진관
            else:
                joined.append(word)
        return joined


def _perplexity(counts: collections.Counter) -> float:
    """exp(entropy) of a neighbour distribution: its number of equally likely neighbours."""
    total = sum(counts.values())
    return math.exp(-sum(n / total * math.log(n / total) for n in counts.values()))
