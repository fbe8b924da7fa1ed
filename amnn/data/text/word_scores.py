"""Korean word scores for splitting hashtags, and the search helpers both languages share.

Korean runs are scored with scores learnt, without labels, from training posts
(`KoreanWords.learn`); English runs by `amnn.data.text.english_words`, which uses the
helpers here. Each vocabulary has a best-path search (`viterbi`) and a greedy
longest-match search (`greedy`), the baseline it is compared with.
`amnn.data.text.hashtag_words` cuts a tag into runs of one script and calls these.

Example:
    >>> KoreanWords({"제주": 3.0, "여행": 2.0}).viterbi("제주여행")
    ['제주', '여행']
"""

from __future__ import annotations

import collections
import math
from typing import Iterable, Mapping

# What the web counts hold of "obama's", "I'd", "don't", "I'm" once the apostrophe is a
# word break; a tag has no apostrophe, so such a letter belongs to the word before it.
CLITICS = frozenset({"s", "d", "t", "m"})
MAX_KOREAN = 10  # longest Korean word tried, in syllables
MIN_ALONE = 2  # times a syllable must stand alone in training text to be a word (밤, 뷰)
ALONE_SCORE = 0.3  # a one-syllable word's score (0.01 to 1 split the dev tags alike)
# One-syllable particles, endings and suffixes. Standing alone in a caption (사과 와 배,
# 10 시) does not make them words of a tag: there they belong to the word before.
BOUND = frozenset("이 가 은 는 을 를 의 에 와 과 도 만 로 랑 요 께 나 다 "
                  "시 군 구 동 읍 면 리 점 관 님 들".split())
# Particles (조사), the copula and forms of 하다, of two or more syllables: standard
# spacing writes them on the word before (지금까지, 딸이랑, 소통해요, 데이트하기).
ENDINGS = frozenset("""
에서 에게 한테 까지 부터 으로 이랑 처럼 보다 하고 이나 에는 에도 에서도 까지도 으로도
이다 이에요 예요 입니다
하다 하기 하는 하면 하게 하러 하며 하자 하니 해요 해서 해도 했다 했어요 했던 하던 한다
합니다 하세요 할래 해봐
""".split())


def join_clitics(words: list[str]) -> list[str]:
    """A lone s, d, t or m (`CLITICS`) joined to the word before it.

    Example:
        >>> join_clitics(["obama", "s", "house"])
        ['obamas', 'house']
    """
    joined: list[str] = []
    for word in words:
        if joined and word in CLITICS:
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def trace(text: str, paths: list[dict[int, tuple[float, int]]]) -> list[str]:
    """Follow the back pointers of the best path that ends at the end of `text`."""
    words, end = [], len(text)
    start = max(paths[end].items(), key=lambda item: item[1][0])[0]
    while end > 0:
        words.append(text[start:end])
        end, start = start, paths[end][start][1]
    return words[::-1]


def longest_match(text: str, known, longest: int) -> list[str]:
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
    strings of two or more syllables with a perplexity of at least 2 are kept. A syllable
    is a word (score `ALONE_SCORE`) when it stands alone at least `MIN_ALONE` times and
    is not a particle or suffix (`BOUND`).

    The best split maximises the sum over its words of (syllables x score); then, since
    tags follow standard spacing (띄어쓰기), these joins:
    - a one-syllable word stands alone only after a longer known word and before another
      or the end (바다 뷰, 좋은 곳); elsewhere it is a syllable of an unknown word (군산);
    - syllables no known word covers join into one word, and a lone one joins the word
      before it, as Korean suffixes such as -관, -점 or -리 follow their stem (사진관,
      표선점, 하도리);
    - a particle or a form of 하다 (`ENDINGS`) joins the word before it (소통해요);
    - a word said twice is one word (구석구석).

    Args:
        scores: dict of str to float. Word -> score (from `learn` or JSON).

    Example:
        >>> words = KoreanWords.learn(["제주", "제주여행", "제주맛집", "여행", "맛집",
        ...                            "서귀포맛집", "서귀포여행", "애월맛집", "애월"])
        >>> words.viterbi("애월여행"), words.greedy("애월여행"), words.viterbi("애월맛집까지")
        (['애월', '여행'], ['애월', '여행'], ['애월', '맛집까지'])
    """

    def __init__(self, scores: Mapping[str, float]) -> None:
        self.scores = dict(scores)

    @classmethod
    def learn(cls, units: Iterable[str]) -> "KoreanWords":
        """Scores from Hangul strings (tags, caption words), as often as each was written.

        Neighbours are counted over the distinct strings, each once; how often a lone
        syllable was written counts for `MIN_ALONE`.
        """
        units = list(units)
        alone = collections.Counter(unit for unit in units if len(unit) == 1)
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
        for syllable in sorted(alone):
            if alone[syllable] >= MIN_ALONE and syllable not in BOUND:
                scores[syllable] = ALONE_SCORE
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
        return self._join(words[::-1])

    def greedy(self, run: str) -> list[str]:
        """Longest known word first, left to right, with the same joins."""
        return self._join(longest_match(run, self.scores.__contains__, MAX_KOREAN))

    def _join(self, words: list[str]) -> list[str]:
        """The joins of the class docstring, in its order."""
        long = [len(word) > 1 and word in self.scores for word in words]
        kept = [long[i] or (word in self.scores and i > 0 and long[i - 1]
                            and (i == len(words) - 1 or long[i + 1]))
                for i, word in enumerate(words)]
        pieces: list[list] = []  # [word, known]
        for word, known in zip(words, kept):
            if pieces and not known and not pieces[-1][1]:
                pieces[-1][0] += word
            else:
                pieces.append([word, known])
        joined: list[str] = []
        for word, known in pieces:
            if joined and ((len(word) == 1 and not known) or word in ENDINGS
                           or word == joined[-1]):
                joined[-1] += word
            else:
                joined.append(word)
        return joined


def _perplexity(counts: collections.Counter) -> float:
    """exp(entropy) of a neighbour distribution: its number of equally likely neighbours."""
    total = sum(counts.values())
    return math.exp(-sum(n / total * math.log(n / total) for n in counts.values()))
