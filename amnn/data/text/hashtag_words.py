"""Split a hashtag into its words: `hurricanesandy` -> hurricane sandy, `제주여행` -> 제주 여행.

A tag is first cut at underscores, punctuation and emoji, then into runs of one script:
Hangul, Latin letters, digits, and anything else (kept whole). Latin runs are split by
`EnglishWords` (wordsegment's web counts, plus the word counts of training captions),
Hangul runs by `KoreanWords`; `HashtagSegmenter.fit` learns both from training posts,
without labels. Digits stay one word
(`nyc2012` -> nyc 2012), with an ordinal ending or a plural s kept on them (`4thofjuly` ->
4th of july, `80sparty` -> 80s party). Each tag's words are cached, so a tag met again
costs one dictionary look-up.
How well this works on hand-labelled real tags: docs/BENCHMARKS.md (`segmentation`).

Example:
    >>> segmenter = HashtagSegmenter.fit(["제주 여행 중", "서귀포 맛집"],
    ...                                  [["제주", "제주맛집", "여행"], ["서귀포여행", "맛집"]])
    >>> segmenter.split("#HurricaneSandy"), segmenter.split("jeju여행"), segmenter.split("nyc2012")
    (['hurricane', 'sandy'], ['jeju', '여행'], ['nyc', '2012'])
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from amnn.data.text.english_words import EnglishWords, learn_english
from amnn.data.text.word_scores import KoreanWords

KIND = "hashtag_segmenter"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
# Latin letters with accents stay in the run (solidarité, furacão); wordsegment does not
# know them, so such a run is scored as one unknown word rather than cut at the accent.
_LATIN = "a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_RUNS = re.compile(rf"[{_HANGUL}]+|[{_LATIN}]+|[0-9]+|[^{_HANGUL}{_LATIN}0-9]+")
_SEPARATORS = re.compile(r"[\W_]+")
_ORDINAL = {"1": "st", "2": "nd", "3": "rd"}


def ordinal_ending(number: str) -> str:
    """The English ordinal ending of a number written in digits.

    Example:
        >>> [ordinal_ending(n) for n in ("1", "22", "13", "57")]
        ['st', 'nd', 'th', 'th']
    """
    if len(number) > 1 and number[-2] == "1":
        return "th"
    return _ORDINAL.get(number[-1], "th")


def script_runs(tag: str) -> list[str]:
    """The runs of one script in a normalised tag; what is not a letter or digit is dropped.

    Example:
        >>> script_runs("nasa_app제주2012")
        ['nasa', 'app', '제주', '2012']
    """
    return [run for part in _SEPARATORS.split(tag) for run in _RUNS.findall(part)]


def _normalise(tag: str) -> str:
    return unicodedata.normalize("NFC", tag).strip().lstrip("#").lower()


class HashtagSegmenter:
    """Splits hashtags into words, with the word scores and counts that `fit` learns.

    Args:
        korean_scores: dict of str to float, or None. Korean word -> score, as learnt by
            `fit` (`KoreanWords.learn`); None or {} leaves every Hangul run whole.
        english_counts: dict or None. Word and word-pair counts of training captions, as
            learnt by `fit` (`learn_english`); None or {} uses wordsegment's counts alone.

    Example:
        >>> segmenter = HashtagSegmenter()
        >>> segmenter.split("57thand7th"), segmenter.split("dogs_of_instagram")[:2]
        (['57th', 'and', '7th'], ['dogs', 'of'])
        >>> HashtagSegmenter.from_json(segmenter.to_json()).split("prayfornepal")
        ['pray', 'for', 'nepal']
    """

    def __init__(self, korean_scores: Optional[Mapping[str, float]] = None,
                 english_counts: Optional[Mapping[str, Any]] = None) -> None:
        self.korean = KoreanWords(korean_scores or {})
        self.english_counts = dict(english_counts or {})
        self._english: Optional[EnglishWords] = None  # loaded at the first Latin run
        self._cache: dict[tuple[str, bool], tuple[str, ...]] = {}

    @classmethod
    def fit(cls, captions: Iterable[str],
            hashtags: Iterable[Union[str, Sequence[str]]]) -> "HashtagSegmenter":
        """Learn Korean word scores and English word counts from training posts.

        `hashtags` holds each post's tags, as a list or one space-separated string.
        Korean: every tag and every caption word (`WordTokenizer`) is a unit for
        `KoreanWords.learn`. Caption words keep their particles (제주에서): a word met
        with many different particles is all the more a word. (Cutting them first with
        soynlp's L-tokenizer did no better: docs/BENCHMARKS.md.) English: the words and
        word pairs of the captions (`learn_english`); tags do not count.
        """
        from amnn.data.text.tokenizers import WordTokenizer

        posts = [[_normalise(tag) for tag in (tags.split() if isinstance(tags, str) else tags)]
                 for tags in hashtags]
        units = [run for tags in posts for tag in tags for run in _hangul_runs(tag)]
        tokenizer = WordTokenizer()
        captions = list(captions)
        for text in captions:
            for token in tokenizer.tokenize(text or ""):
                units += _hangul_runs(token)
        return cls(KoreanWords.learn(units).scores, learn_english(captions))

    @property
    def english(self) -> EnglishWords:
        if self._english is None:
            self._english = EnglishWords(self.english_counts)
        return self._english

    def split(self, tag: str) -> list[str]:
        """The words of one tag (a leading '#' and upper case are accepted)."""
        return list(self._split(tag, greedy=False))

    def split_greedy(self, tag: str) -> list[str]:
        """The words of one tag by greedy longest match over the same vocabularies."""
        return list(self._split(tag, greedy=True))

    def _split(self, tag: str, greedy: bool) -> tuple[str, ...]:
        key = (tag, greedy)
        if key not in self._cache:
            self._cache[key] = tuple(self._words(script_runs(_normalise(tag)), greedy))
        return self._cache[key]

    def _words(self, runs: list[str], greedy: bool) -> list[str]:
        words: list[str] = []
        for index, run in enumerate(runs):
            after_number = index > 0 and runs[index - 1].isdigit()
            if run.isdigit():
                words.append(run)
                continue
            if after_number and run.startswith(ordinal_ending(runs[index - 1])):
                words[-1] += run[:2]  # 4th, 22nd: the ending belongs to the number
                run = run[2:]
                if not run:
                    continue
            if re.fullmatch(f"[{_HANGUL}]+", run):
                words += self.korean.greedy(run) if greedy else self.korean.viterbi(run)
            elif re.fullmatch(f"[{_LATIN}]+", run):
                latin = self.english.greedy(run) if greedy else self.english.viterbi(run)
                if after_number and latin[0] == "s" and words[-1].isdigit():
                    words[-1] += latin.pop(0)  # 80s: a plural s belongs to the number
                words += latin
            else:
                words.append(run)  # another script (Cyrillic, Arabic, kana): kept whole
        return words

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `from_json`: what `fit` learnt (not wordsegment's counts)."""
        return {"kind": KIND, "korean_scores": self.korean.scores,
                "english_counts": self.english_counts}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "HashtagSegmenter":
        """The segmenter saved by `to_json`; anything else raises ValueError."""
        if not isinstance(data, Mapping) or data.get("kind") != KIND:
            found = data.get("kind") if isinstance(data, Mapping) else type(data).__name__
            raise ValueError(f"not a saved hashtag segmenter: expected kind {KIND!r}, "
                             f"found {found!r}")
        return cls(data.get("korean_scores", {}), data.get("english_counts", {}))


def _hangul_runs(text: str) -> list[str]:
    return re.findall(f"[{_HANGUL}]+", text)
