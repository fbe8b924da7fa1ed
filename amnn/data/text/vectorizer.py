"""Captions to word ids: a word vocabulary fitted on training captions only.

Example:
    >>> from amnn.data.text.tokenizers import WordTokenizer
    >>> vec = TextVectorizer(WordTokenizer(), min_count=1).fit(["storm in nyc", "nyc flood"])
    >>> vec.encode(["NYC storm surge", ""])
    [[2, 3, 1], []]
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Optional, Sequence


from amnn.data.text.tokenizers import tokenizer_from_json
from amnn.jsonio import JsonFile

PAD, UNK = 0, 1  # word ids 0 and 1; real words start at 2
_FORMAT = "amnn-text-vectorizer"


class TextVectorizer(JsonFile):
    """Turns captions into word-id sequences with a vocabulary from training captions.

    Args:
        tokenizer: a tokenizer from `amnn.data.text.tokenizers` (already fitted).
        min_count: int. Words seen fewer times in training map to UNK.
        max_words: int. At most this many words (PAD and UNK not counted), most frequent first.
        max_tokens: int. Longer captions are cut to their first `max_tokens` tokens.

    Example:
        >>> from amnn.data.text.tokenizers import WordTokenizer
        >>> TextVectorizer(WordTokenizer(), min_count=1).fit(["a b b"]).vocab_size
        4
    """

    def __init__(self, tokenizer, min_count: int = 2, max_words: int = 30000,
                 max_tokens: int = 64, words: Optional[Sequence[str]] = None) -> None:
        for name, value in (("min_count", min_count), ("max_words", max_words),
                            ("max_tokens", max_tokens)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self.tokenizer = tokenizer
        self.min_count, self.max_words, self.max_tokens = min_count, max_words, max_tokens
        self._set_words(words or [])

    def _set_words(self, words: Sequence[str]) -> None:
        self.words = list(words)
        self._ids = {word: index + 2 for index, word in enumerate(self.words)}

    @property
    def vocab_size(self) -> int:
        """Number of ids, PAD and UNK included (the embedding's input size)."""
        return len(self.words) + 2

    def fit(self, texts: Iterable[str]) -> "TextVectorizer":
        """Build the word vocabulary from the training captions; returns self.

        Words are ordered by count, ties by first appearance, so fitting is deterministic.
        """
        counts: Counter = Counter()
        for text in texts:
            counts.update(self.tokenizer.tokenize(text))
        ranked = sorted((item for item in counts.items() if item[1] >= self.min_count),
                        key=lambda item: -item[1])  # stable: ties keep first appearance
        self._set_words([word for word, _ in ranked[:self.max_words]])
        return self

    def encode(self, texts: Iterable[str]) -> list[list[int]]:
        """Word ids of each caption, cut to `max_tokens`; an empty caption gives []."""
        return [[self._ids.get(token, UNK) for token in self.tokenizer.tokenize(text)]
                [:self.max_tokens] for text in texts]

    def word(self, index: int) -> Optional[str]:
        """The word an id stands for; None for PAD, UNK and ids outside the vocabulary.

        Example:
            >>> vectorizer = TextVectorizer(None, words=["rain", "nyc"])
            >>> [vectorizer.word(i) for i in (0, 1, 2, 3, 4)]
            [None, None, 'rain', 'nyc', None]
        """
        position = int(index) - 2  # ids 0 and 1 are PAD and UNK
        return self.words[position] if 0 <= position < len(self.words) else None

    def to_json(self) -> dict[str, Any]:
        """A plain dict (tokenizer included) that `from_json` turns back into this vectorizer."""
        return {"format": _FORMAT, "version": 1, "tokenizer": self.tokenizer.to_json(),
                "min_count": self.min_count, "max_words": self.max_words,
                "max_tokens": self.max_tokens, "words": self.words}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TextVectorizer":
        """The vectorizer stored by `to_json`; a foreign or newer dict raises ValueError."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"not a text vectorizer (expected format {_FORMAT!r})")
        if data.get("version") != 1:
            raise ValueError(f"unsupported text vectorizer version {data.get('version')!r}")
        return cls(tokenizer_from_json(data["tokenizer"]), data["min_count"],
                   data["max_words"], data["max_tokens"], data["words"])
