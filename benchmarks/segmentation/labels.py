"""The hand-labelled hashtags the segmentation benchmark scores, dealt into dev and test.

tests/data/hashtag_segmentation_labels.tsv holds one tag a line: the tag, its words as a
person splits them, and the set and split it came from (its header says how they were
chosen). Half of them are **dev**, where every design choice is judged, and half **test**,
the headline, which nobody studies.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

from benchmarks.common.paths import REPO

LABELS = REPO / "tests" / "data" / "hashtag_segmentation_labels.tsv"
PARTS = ("test", "dev")  # test: the headline; dev: where every design choice is judged


class Label(NamedTuple):
    """One labelled tag: how a person splits it, where it came from, and its half."""

    tag: str
    words: str
    source: str  # set/split, e.g. "korean/val"
    part: str = ""  # "dev" (design choices are judged here) or "test" (the headline)


def assign_parts(labels: list[Label]) -> list[Label]:
    """Each label with its part: half of each (source, multi/single) group is dev, half test.

    Within a group the tags are sorted by the SHA-256 of their text (stable across runs and
    machines, unlike Python's salted hash()) and dealt out in turn: test, dev, test, ...

    Example:
        >>> rows = assign_parts([Label(tag, tag, "mediaeval/val") for tag in "abcd"])
        >>> sorted(label.part for label in rows)
        ['dev', 'dev', 'test', 'test']
    """
    groups: dict[tuple[str, bool], list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault((label.source, " " in label.words), []).append(index)
    parts = [""] * len(labels)
    for indices in groups.values():
        ranked = sorted(indices, key=lambda i: hashlib.sha256(
            labels[i].tag.encode("utf-8")).hexdigest())
        for rank, index in enumerate(ranked):
            parts[index] = PARTS[rank % 2]
    return [label._replace(part=part) for label, part in zip(labels, parts)]


def read_labels(path: Path = LABELS) -> list[Label]:
    """The labelled rows of the TSV; lines starting with '#' and the header are skipped.

    Example:
        >>> labels = read_labels()
        >>> labels[0]._fields, len(labels) >= 300
        (('tag', 'words', 'source', 'part'), True)
    """
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#") or line.startswith("tag\t"):
            continue
        cells = line.split("\t")
        if len(cells) != 3 or cells[0].replace("_", "") != cells[1].replace(" ", ""):
            raise ValueError(f"{path}, line {number}: expected tag<TAB>words<TAB>source whose "
                             f"words spell the tag, got {line!r}")
        labels.append(Label(*cells))
    return assign_parts(labels)
