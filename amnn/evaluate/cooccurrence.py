"""A baseline for completing tags a user started: the tags that go with the given ones.

`CooccurrenceCompleter` counts, over the training posts, how often two tags share a post.
Given a post's first tag(s), it recommends the tags that co-occur most often with them
(counts summed over the given tags), ties and tags never seen with them in order of training
popularity; given tags are never recommended. It looks at neither caption nor photo, so it
tells how much of a completion the given tags alone explain (benchmarks/completion.py).

Example:
    >>> completer = CooccurrenceCompleter().fit([["sandy", "nyc"], ["sandy", "storm"],
    ...                                          ["sandy", "nyc"], ["boston"]])
    >>> completer.complete([["nyc"], ["unknown"], []], k=2)
    [['sandy', 'storm'], ['sandy', 'nyc'], ['sandy', 'nyc']]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from amnn.data.vocabulary import HashtagVocabulary


class CooccurrenceCompleter:
    """Ranks tags by how often they share a training post with the given tags.

    Example:
        >>> CooccurrenceCompleter().fit([["a", "b"], ["a", "c"], ["b"]]).complete([["c"]], 3)
        [['a', 'b']]
    """

    def __init__(self) -> None:
        self.tags: list[str] = []
        self._column: dict[str, int] = {}
        self._counts: sparse.csr_matrix | None = None

    def fit(self, tag_lists: Iterable[Sequence[str]]) -> CooccurrenceCompleter:
        """Count co-occurrences in the training posts' (normalised) tag lists; returns self."""
        tag_lists = [list(dict.fromkeys(tags)) for tags in tag_lists]
        # Columns in order of popularity (ties: first seen), as the model's vocabulary.
        self.tags = HashtagVocabulary.build(tag_lists, min_count=1).tags
        self._column = {tag: j for j, tag in enumerate(self.tags)}
        pairs = [(i, self._column[tag]) for i, tags in enumerate(tag_lists) for tag in tags]
        rows, cols = zip(*pairs) if pairs else ((), ())
        posts = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                  shape=(len(tag_lists), len(self.tags)))
        counts = (posts.T @ posts).tolil()
        counts.setdiag(0)  # a tag does not co-occur with itself
        self._counts = counts.tocsr()
        return self

    def complete(self, given: Sequence[Sequence[str]], k: int = 5) -> list[list[str]]:
        """For each post's given tags, the `k` tags that best go with them, best first."""
        if self._counts is None:
            raise ValueError("call fit(tag_lists) before complete")
        if int(k) < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        names = np.array(self.tags, dtype=object)
        completed = []
        for tags in given:
            known = [self._column[tag] for tag in tags if tag in self._column]
            scores = np.asarray(self._counts[known].sum(axis=0)).ravel() if known \
                else np.zeros(len(self.tags), np.float32)
            order = np.argsort(-scores, kind="stable")  # ties: the more popular tag first
            chosen = set(tags)
            completed.append([tag for tag in names[order] if tag not in chosen][:int(k)])
        return completed
