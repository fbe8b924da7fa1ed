"""Caption tokenizers: a Unicode word splitter, and soynlp's L-tokenizer for Korean.

Korean attaches particles to words ("카페에서" = "카페" + "에서"), so splitting at spaces
gives a new token for every word-particle pair. `SoynlpTokenizer` learns, without labels,
how cohesive each word beginning is in the training captions (soynlp's `WordExtractor`)
and cuts each Hangul word after its most cohesive beginning (soynlp's `LTokenizer`).
Both tokenizers save as plain JSON; nothing is pickled.

Example:
    >>> WordTokenizer().tokenize("Hurricane #Sandy hits NYC! https://t.co/x @CNN ❤")
    ['hurricane', 'sandy', 'hits', 'nyc', '@cnn', '❤']
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
from typing import Any, Iterable, Optional, Sequence

from amnn.config import TOKENIZER_NAMES


def _combining_marks() -> str:
    """A regex class body of the combining marks in the Basic Multilingual Plane.

    Python's \\w leaves out marks, which would cut Devanagari or Thai words apart.
    Variation selectors (U+FE00-FE0F) are left out: they only style emoji.
    """
    ranges, start = [], None
    for code in range(0x10000 + 1):
        is_mark = (code < 0x10000 and unicodedata.category(chr(code))[0] == "M"
                   and not 0xFE00 <= code <= 0xFE0F)
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return "".join(ranges)


_WORD = rf"[\w{_combining_marks()}]+"
# Common emoji blocks; each emoji is its own token (skin tones and joiners are dropped).
_EMOJI = "\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001f3fa\U0001f400-\U0001faff"
_TOKEN = re.compile(rf"@{_WORD}|{_WORD}(?:'{_WORD})*|[{_EMOJI}]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Some exported tweets hold the two characters '\' 'n' where a line break was.
_ESCAPED_BREAK = re.compile(r"\\[nrt](?![a-z])")
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
_HANGUL_RUNS = re.compile(rf"[{_HANGUL}]+|[^{_HANGUL}]+")
_HANGUL_CHAR = re.compile(rf"[{_HANGUL}]")


class WordTokenizer:
    """Lower-cased Unicode word tokens; URLs dropped, @mentions and emoji kept.

    Words are runs of letters, digits, underscores and combining marks (any script,
    Hangul included), with inner apostrophes kept ("don't"). An @mention is one token
    with its '@' ("@cnn"), since who a post addresses hints at its topic. A '#' is
    dropped, so "#sandy" in a caption gives "sandy". Each emoji is one token.

    Example:
        >>> WordTokenizer().tokenize("Don’t miss 카페에서 커피! @Drew_B")
        ["don't", 'miss', '카페에서', '커피', '@drew_b']
    """

    kind = "word"

    def tokenize(self, text: str) -> list[str]:
        """The tokens of one caption ('' gives [])."""
        text = unicodedata.normalize("NFC", text or "").replace("’", "'")
        text = _URL.sub(" ", _ESCAPED_BREAK.sub(" ", text)).lower()
        return _TOKEN.findall(text)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `tokenizer_from_json`."""
        return {"kind": self.kind}


class SoynlpTokenizer:
    """Word tokens whose Hangul parts are cut into a word and its ending by soynlp.

    Text is first split like `WordTokenizer` does (so other scripts are lower-cased),
    then every Hangul run longer than two syllables becomes L + R, where L is the
    beginning with the highest cohesion_forward score learnt by `fit`. Runs with no
    scored beginning stay whole. Only Hangul words with a positive score are kept,
    rounded to 4 decimals, which keeps the saved JSON small.

    Args:
        scores: dict of str to float, or None. Cohesion scores (from `fit` or JSON).
        min_frequency: int. A word beginning must be seen this often to get a score.

    Example:
        >>> SoynlpTokenizer({"카페": 0.9}).tokenize("Cafe 카페에서")
        ['cafe', '카페', '에서']
    """

    kind = "soynlp"

    def __init__(self, scores: Optional[dict[str, float]] = None, min_frequency: int = 5) -> None:
        from soynlp.tokenizer import LTokenizer  # soynlp is only needed for Korean text

        self.scores = dict(scores or {})
        self.min_frequency = int(min_frequency)
        self._words = WordTokenizer()
        self._ltokenizer = LTokenizer(scores=self.scores)

    def _runs(self, text: str) -> list[str]:
        return [run for token in self._words.tokenize(text) for run in _HANGUL_RUNS.findall(token)]

    def fit(self, texts: Iterable[str]) -> "SoynlpTokenizer":
        """Learn cohesion scores from the training captions; returns self."""
        from soynlp.tokenizer import LTokenizer
        from soynlp.word import WordExtractor

        sentences = []
        for text in texts:
            hangul = [run for run in self._runs(text) if _HANGUL_CHAR.match(run)]
            if hangul:
                sentences.append(" ".join(hangul))
        extractor = WordExtractor(min_frequency=self.min_frequency, verbose_points=0)
        # verbose_points=0 silences the progress lines; the redirect catches any others.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            extractor.train(sentences)
            cohesion = extractor.all_cohesion_scores()
        rounded = {word: round(float(forward), 4) for word, (forward, _) in cohesion.items()
                   if len(word) > 1 and _HANGUL_CHAR.match(word)}
        # Sorted, so the same captions always save the same JSON (soynlp iterates a set).
        self.scores = {word: rounded[word] for word in sorted(rounded) if rounded[word] > 0}
        self._ltokenizer = LTokenizer(scores=self.scores)
        return self

    def tokenize(self, text: str) -> list[str]:
        """The tokens of one caption ('' gives [])."""
        tokens: list[str] = []
        for run in self._runs(text):
            # LTokenizer cuts after two syllables when it knows no beginning at all.
            if _HANGUL_CHAR.match(run) and any(run[:end] in self.scores
                                               for end in range(2, len(run) + 1)):
                tokens.extend(self._ltokenizer.tokenize(run))
            else:
                tokens.append(run)
        return tokens

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `tokenizer_from_json`."""
        return {"kind": self.kind, "min_frequency": self.min_frequency, "scores": self.scores}


def is_korean(texts: Sequence[str], threshold: float = 0.3, sample_size: int = 2000) -> bool:
    """Whether Hangul makes up at least `threshold` of the letters in a sample of `texts`.

    Example:
        >>> is_korean(["오늘 카페에서 커피", "nice day"]), is_korean(["nice day"])
        (True, False)
    """
    step = max(1, len(texts) // max(sample_size, 1))  # evenly spaced, deterministic
    letters = hangul = 0
    for text in texts[::step]:
        for char in text or "":
            if char.isalpha():
                letters += 1
                hangul += bool(_HANGUL_CHAR.match(char))
    return letters > 0 and hangul / letters >= threshold


def make_tokenizer(kind: str, texts: Sequence[str]):
    """A tokenizer of `kind` ("auto", "word" or "soynlp"), fitted on training `texts`.

    "auto" picks soynlp when `is_korean(texts)`, else the word tokenizer.

    Example:
        >>> make_tokenizer("auto", ["Hurricane Sandy"]).kind
        'word'
    """
    if kind not in TOKENIZER_NAMES:
        raise ValueError(f"tokenizer must be one of {TOKENIZER_NAMES}, got {kind!r}")
    if kind == "soynlp" or (kind == "auto" and is_korean(texts)):
        return SoynlpTokenizer().fit(texts)
    return WordTokenizer()


def tokenizer_from_json(data: dict[str, Any]):
    """The tokenizer saved by its `to_json`; an unknown kind raises ValueError.

    Example:
        >>> tokenizer_from_json(WordTokenizer().to_json()).kind
        'word'
    """
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == WordTokenizer.kind:
        return WordTokenizer()
    if kind == SoynlpTokenizer.kind:
        return SoynlpTokenizer(data.get("scores", {}), data.get("min_frequency", 5))
    raise ValueError(f"unknown tokenizer kind {kind!r}; expected 'word' or 'soynlp'")
