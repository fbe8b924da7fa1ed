"""The hashtag vocabulary: the decoder's output ids, built from training posts only.

Ids 0-3 are reserved (PAD, BOS, EOS, UNK); tags follow in order of training frequency, so
a smaller id is a more frequent tag. Tags seen fewer than `min_count` times are left out
and dropped from targets; UNK is reserved but never emitted by prediction.

Example:
    >>> vocab = HashtagVocabulary.build([["sandy", "nyc"], ["sandy"], ["nyc", "rare"]])
    >>> len(vocab), vocab.id("sandy"), vocab.id("rare") == UNK
    (6, 4, True)
    >>> vocab.encode_target(["nyc", "sandy", "rare"], max_tags=5, order="frequency")
    [4, 5, 2]
    >>> vocab.decode([5, 4, 2, 0])
    ['nyc', 'sandy']
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Optional, Sequence

from amnn.config import TAG_ORDERS
from amnn.jsonio import JsonFile

PAD, BOS, EOS, UNK = 0, 1, 2, 3
RESERVED = ("<pad>", "<bos>", "<eos>", "<unk>")  # names of ids 0-3, never real hashtags
_FORMAT = "amnn-hashtag-vocabulary"


class HashtagVocabulary(JsonFile):
    """Maps hashtags to decoder ids and back.

    Args:
        tags: sequence of str. The kept hashtags, most frequent first (ids 4, 5, ...).
        counts: sequence of int. Training count of each tag (posts that carry it).
        min_count: int. The cut it was built with (saved for the record).

    Example:
        >>> vocab = HashtagVocabulary(["sandy", "nyc"], [3, 2])
        >>> vocab.tag(5), vocab.most_frequent(1)
        ('nyc', ['sandy'])
    """

    def __init__(self, tags: Sequence[str], counts: Sequence[int], min_count: int = 1) -> None:
        if len(tags) != len(counts):
            raise ValueError(f"tags and counts differ in length: {len(tags)} != {len(counts)}")
        if len(set(tags)) != len(tags):
            raise ValueError("tags must be unique")
        self.min_count = int(min_count)
        self._tags = list(RESERVED) + [str(tag) for tag in tags]
        self._ids = {tag: index for index, tag in enumerate(self._tags) if index > UNK}
        self._counts = {str(tag): int(count) for tag, count in zip(tags, counts)}

    @classmethod
    def build(cls, tag_lists: Iterable[Iterable[str]], min_count: int = 2,
              max_size: Optional[int] = None) -> "HashtagVocabulary":
        """A vocabulary from the training posts' tag lists.

        A tag counts once per post. Tags are ordered by count, most frequent first; ties
        keep the order of first appearance, so the result is deterministic.

        Args:
            tag_lists: iterable of lists of str. Normalised tags of each training post.
            min_count: int. Tags seen in fewer posts are left out.
            max_size: int or None. At most this many hashtags (reserved ids not counted).
        """
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        if max_size is not None and max_size < 0:
            raise ValueError(f"max_size must be 0 or more, got {max_size}")
        counts: Counter = Counter()
        for tags in tag_lists:
            counts.update(dict.fromkeys(tags, 1))  # once per post, in written order
        # Counter keeps first-insertion order and sorted() is stable: ties stay in order of
        # first appearance.
        ranked = sorted((item for item in counts.items() if item[1] >= min_count),
                        key=lambda item: -item[1])
        if max_size is not None:
            ranked = ranked[:max_size]
        return cls([tag for tag, _ in ranked], [count for _, count in ranked], min_count)

    def __len__(self) -> int:
        return len(self._tags)

    def __contains__(self, tag: str) -> bool:
        return tag in self._ids

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, HashtagVocabulary) and self._tags == other._tags
                and self._counts == other._counts and self.min_count == other.min_count)

    @property
    def counts(self) -> dict[str, int]:
        """Training count of every kept tag, most frequent first."""
        return dict(self._counts)

    @property
    def tags(self) -> list[str]:
        """The kept tags, most frequent first (id 4 onwards)."""
        return self._tags[UNK + 1:]

    def id(self, tag: str) -> int:
        """The id of `tag`, or UNK when it is not in the vocabulary."""
        return self._ids.get(tag, UNK)

    def tag(self, index: int) -> str:
        """The tag (or reserved name such as '<eos>') of an id."""
        if not 0 <= int(index) < len(self._tags):
            raise ValueError(f"id must be in [0, {len(self._tags)}), got {index}")
        return self._tags[int(index)]

    def most_frequent(self, n: int) -> list[str]:
        """The `n` most frequent tags (fewer when the vocabulary is smaller)."""
        return self.tags[:max(int(n), 0)]

    def encode_target(self, tags: Iterable[str], max_tags: int,
                      order: str = "frequency") -> list[int]:
        """Decoder target ids of one post: known tags only, at most `max_tags`, then EOS.

        Args:
            tags: iterable of str. The post's normalised tags.
            max_tags: int. Tags kept before EOS.
            order: str. "frequency" (most frequent in training first) or "post" (as written).

        Example:
            >>> vocab = HashtagVocabulary(["a", "b", "c"], [3, 2, 2])
            >>> vocab.encode_target(["c", "x", "a"], 5, "post"), vocab.encode_target([], 5)
            ([6, 4, 2], [2])
        """
        if order not in TAG_ORDERS:
            raise ValueError(f"order must be one of {TAG_ORDERS}, got {order!r}")
        if max_tags < 0:
            raise ValueError(f"max_tags must be 0 or more, got {max_tags}")
        ids = list(dict.fromkeys(self.id(tag) for tag in tags))
        ids = [index for index in ids if index != UNK]
        if order == "frequency":
            ids.sort()  # ids are assigned by frequency rank
        return ids[:max_tags] + [EOS]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tags of a predicted id sequence, up to the first EOS; PAD, BOS, UNK and repeats skipped.

        Example:
            >>> HashtagVocabulary(["a", "b"], [2, 2]).decode([1, 5, 3, 5, 4, 2, 4])
            ['b', 'a']
        """
        tags: list[str] = []
        for index in ids:
            index = int(index)
            if index == EOS:
                break
            if index in (PAD, BOS, UNK):
                continue
            tag = self.tag(index)
            if tag not in tags:
                tags.append(tag)
        return tags

    def to_json(self) -> dict[str, Any]:
        """A plain dict that `from_json` turns back into an equal vocabulary."""
        return {"format": _FORMAT, "version": 1, "min_count": self.min_count,
                "reserved": list(RESERVED), "tags": self.tags,
                "counts": [self._counts[tag] for tag in self.tags]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "HashtagVocabulary":
        """The vocabulary stored by `to_json`; a foreign or newer dict raises ValueError."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"not a hashtag vocabulary (expected format {_FORMAT!r})")
        if data.get("version") != 1 or data.get("reserved") != list(RESERVED):
            raise ValueError(f"unsupported hashtag vocabulary version {data.get('version')!r}")
        return cls(data["tags"], data["counts"], data.get("min_count", 1))
