"""How many Korean labelled tags hold a word that the Korean training posts never write.

The segmenter learns Korean words from korean/train alone (377 posts), so a tag with a word
those posts never contain comes out right only when the unknown word is what is left between
known ones. The benchmark prints these counts beside its accuracy to show where the misses
are, not to choose anything.
"""

from __future__ import annotations

from benchmarks.segmentation.labels import PARTS


def _hangul(text: str) -> bool:
    return any("\uac00" <= char <= "\ud7a3" for char in text)


def unseen_word_tags(labels, splits, train_text: str) -> dict:
    """Per part, over the Hangul tags of korean/: {tags, unseen, unseen_right, seen_right}.

    A word is unseen when `train_text` does not contain it anywhere, not even inside a
    longer word; `splits` are the segmenter's words for each label, in order.

    Example:
        >>> from benchmarks.segmentation.labels import Label
        >>> rows = [Label("제주여행", "제주 여행", "korean/val", "dev"),
        ...         Label("제주카페", "제주 카페", "korean/val", "dev")]
        >>> unseen_word_tags(rows, [["제주", "여행"], ["제주", "카페"]], "제주 여행 좋아요")
        {'dev': {'tags': 2, 'unseen': 1, 'unseen_right': 1, 'seen_right': 1}}
    """
    text, counts = train_text.lower(), {}
    for label, words in zip(labels, splits):
        if not (label.source.startswith("korean") and _hangul(label.tag)):
            continue
        unseen = any(word not in text for word in label.words.split())
        right = " ".join(words) == label.words
        part = counts.setdefault(label.part, dict.fromkeys(
            ("tags", "unseen", "unseen_right", "seen_right"), 0))
        part["tags"] += 1
        part["unseen"] += unseen
        part["unseen_right" if unseen else "seen_right"] += right
    return {part: counts[part] for part in PARTS if part in counts}


def coverage_sentence(counts: dict, train_posts: int) -> str:
    """The docs block's sentence about the counts of `unseen_word_tags`.

    Example:
        >>> coverage_sentence({"test": {"tags": 4, "unseen": 1, "unseen_right": 0,
        ...                             "seen_right": 3}}, 377)[:64]
        "Korean words come only from korean/train's 377 posts. Test: 1 of"
    """
    parts = []
    for part, c in counts.items():
        seen = c["tags"] - c["unseen"]
        parts.append(f"{part.capitalize()}: {c['unseen']} of the {c['tags']} Hangul tags have "
                     "a word that no training caption or tag contains anywhere (not even "
                     f"inside a longer word); {c['unseen_right']} of those {c['unseen']} are "
                     f"split right, against {c['seen_right']} of the other {seen}.")
    return " ".join([f"Korean words come only from korean/train's {train_posts} posts.",
                     *parts])
